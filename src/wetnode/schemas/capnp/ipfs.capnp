# IPFS capabilities, shaped after the CoreAPI of the Go implementation.
# Identities match the reference node; methods beyond it take new ordinals.

@0xba1bf6f9b41aac9a;

interface Client {
  unixfs      @0  () -> (api :UnixFS);
  block       @1  () -> (api :Block);
  dag         @2  () -> (api :Dag);
  name        @3  () -> (api :Name);
  key         @4  () -> (api :Key);
  pin         @5  () -> (api :Pin);
  object      @6  () -> (api :Object);
  swarm       @7  () -> (api :Swarm);
  pubSub      @8  () -> (api :PubSub);
  routing     @9  () -> (api :Routing);
  resolvePath @10 (path :Text) -> (resolved :Text, remainder :List(Text));
  resolveNode @11 (path :Text) -> (node :Data);
}

interface UnixFS {
  cat @0 (path :Text) -> (data :Data);
  # The bytes of the file at an IPFS path.

  ls  @1 (path :Text) -> (entries :List(Entry));
  # The entries of the directory at an IPFS path.

  struct Entry {
    name @0 :Text;
    size @1 :UInt64;
    type @2 :EntryType;
    cid  @3 :Data;

    enum EntryType { file @0; directory @1; symlink @2; }
  }
}

# Sub-APIs without methods yet; they keep their identities for later growth.
interface Block {}
interface Dag {}
interface Name {}
interface Key {}
interface Pin {}
interface Object {}
interface Swarm {}
interface PubSub {}
interface Routing {}
