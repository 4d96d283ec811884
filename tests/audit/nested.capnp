# A schema with capabilities where the real ones have none yet: inside
# structs, groups, unions and lists of results, and in parameters.
# Only tests/audit/test_stream_record.py loads it.
@0xd5a1c3b2e4f60718;

interface Counter {
  bump @0 () -> (count :UInt32);
}

struct Slot {
  name @0 :Text;
  counter @1 :Counter;
}

struct Shelf {
  label @0 :Text;
  slots @1 :List(Slot);
  counters @2 :List(Counter);
  either :union {
    none @3 :Void;
    one @4 :Counter;
  }
  inner :group {
    counter @5 :Counter;
  }
  next @6 :Shelf;
}

interface Store {
  shelf @0 () -> (shelf :Shelf);
  lend @1 (counter :Counter, times :UInt32) -> (count :UInt32);
  # the store bumps the counter it is lent `times` times: calls the other way
}
