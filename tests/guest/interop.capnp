# Test-only schema for the guest SDK: every wire feature the interop tests touch.
@0xd4c2a3f1b5e6a7c8;

struct Shapes {
  small @0 :Int8 = -3;
  word @1 :UInt16 = 7;
  big @2 :Int64;
  real @3 :Float64;
  flag @4 :Bool = true;
  name @5 :Text;
  blob @6 :Data;
  ints @7 :List(Int32);
  bools @8 :List(Bool);
  texts @9 :List(Text);
  nested @10 :List(Shapes);
  choice :union {
    none @11 :Void;
    count @12 :UInt32;
    label @13 :Text;
  }
  pos :group {
    x @14 :Float32;
    y @15 :Float32;
  }
  matrix @16 :List(List(UInt8));
  wide @17 :List(UInt64);
}

interface Echo {
  echo @0 (message :Text) -> (response :Text);
  blob @1 (data :Data) -> (data :Data);
  fail @2 (kind :UInt8, reason :Text) -> ();
  shapes @3 (s :Shapes) -> (s :Shapes);
}

interface Root {
  echo @0 () -> (echo :Echo);
  # A fresh Echo; the server counts how many it has handed out and still holds.

  live @1 () -> (count :UInt32);
  # How many Echo objects handed out by `echo` are still referenced.

  callBack @2 (cap :Echo, message :Text) -> (response :Text);
  # The server calls `cap.echo(message)`: a capability passed the other way.

  keep @3 (cap :Echo) -> ();
  # Holds on to `cap` until `drop` is called.

  drop @4 () -> ();

  give @5 () -> (cap :Echo);
  # Returns the capability held by `keep` (a capability passed back to its host).

  relay @6 (root :Root) -> (cap :Echo);
  # Returns `root.echo().echo` without waiting: a promise the server resolves later.
}
