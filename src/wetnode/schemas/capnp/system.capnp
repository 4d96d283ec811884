# Peer-level capabilities a Wetware node hands to its guests.
#
# File, interface and method identities match the reference node
# (github.com/wetware/ww) so that peers built from either codebase
# understand each other.  New methods only ever take new ordinals.
# Every capability here is issued under an epoch: once the node adopts a
# new epoch, calls on the old capability fail with a `staleEpoch` reason.

@0xbf5147b78c0e6a2f;

struct PeerInfo {
  peerId @0 :Data;       # binary libp2p peer ID (multihash of the public key)
  addrs @1 :List(Data);  # binary multiaddrs the peer is reachable on
}

interface Host {
  id @0 () -> (peerId :Data);
  # This node's binary libp2p peer ID.

  addrs @1 () -> (addrs :List(Data));
  # Binary multiaddrs the node's swarm listens on.

  peers @2 () -> (peers :List(PeerInfo));
  # Peers with a live connection to this node.

  connect @3 (peerId :Data, addrs :List(Data)) -> ();
  # Open a swarm connection to a peer at the given addresses.

  executor @4 () -> (executor :Executor);
  # An Executor issued under the same epoch as this Host.

  dial @5 (peerId :Data, addrs :List(Data)) -> (cap :Capability);
  # Open an RPC connection to a peer's exported capability (protocol
  # /ww/0.1.0) and return it; normally a stem.capnp Membrane (typed
  # Capability here because stem.capnp imports this file).  addrs may be
  # empty when the peer is already connected.
}

interface Executor {
  runBytes @0 (wasm :Data, args :List(Text), env :List(Text)) -> (process :Process);
  # Start a child guest from component bytes; env entries are "KEY=VALUE".

  echo @1 (message :Text) -> (response :Text);
  # Returns `message` unchanged: a liveness and latency probe.

  load @2 (wasm :Data) -> (binary :Binary);
  # A component sent once: `binary.spawn` starts children of it without the
  # bytes crossing the channel again (the reference later has Runtime.load
  # for the same reason).

  loadPath @3 (path :Text) -> (binary :Binary);
  # A component file in the caller's own image, named by its absolute guest
  # path (e.g. /bin/tool.wasm) and read by the host: nothing crosses the
  # channel, and an unchanged file is neither read nor hashed again.  It
  # fails for a guest without an image (a child).
}

interface Binary {
  spawn @0 (args :List(Text), env :List(Text)) -> (process :Process);
  # Start a child guest of this component; env entries are "KEY=VALUE".

  spawnBare @1 (args :List(Text), env :List(Text)) -> (process :Process);
  # Ours: as `spawn`, but the child's graft hands out no capability (its
  # identity only): code that only computes, such as a policy hook.

  spawnWith @2 (args :List(Text), env :List(Text), caps :List(Export)) -> (process :Process);
  # As the reference node's `Executor.spawn(args, env, caps)`: the child's
  # graft hands out its identity and exactly `caps`, each under its name
  # (a graft result: "executor", "ipfs", "host"...), none of the host's
  # own child grants.  How a parent hands a child capabilities it has
  # attenuated (pid0's policy, docs/policy.md).  `spawnBare` is `caps = []`.
}

struct Export @0xbb8d5590cb2f3d2e {
  # The reference node's (its membrane.capnp): a capability bound to a name.
  # The name is a binding key, not authority: the capability is the authority.
  name @0 :Text;
  cap @1 :Capability;
}

interface Process {
  stdin @0 () -> (stream :ByteStream);
  # Writable end of the child's standard input.

  stdout @1 () -> (stream :ByteStream);
  # Readable end of the child's standard output.

  stderr @2 () -> (stream :ByteStream);
  # Readable end of the child's standard error.

  wait @3 () -> (exitCode :Int32);
  # Resolves with the exit code once the child has stopped.

  bootstrap @4 () -> (cap :Capability);
  # The capability the child exported (the SDK's `export`), as the reference
  # node's Process.bootstrap: how a parent reaches a service it started.
  # Fails when the child exported none or has gone.

  kill @5 () -> ();
  # Stops the child at once (a guest stuck in a loop included); `wait` then
  # resolves.  As the reference node's Process.kill.

  hook @6 (budgetMillis :UInt32) -> (hook :Hook);
  # Ours: the child's export as a Hook whose every `check` the host bounds:
  # a check the child does not answer within budgetMillis fails with
  # `hookTimeout:` and the host kills the child (it is stuck or hostile; the
  # parent starts another).  Guests have no timers, so the bound is the host's.
}

interface ByteStream {
  read @0 (maxBytes :UInt32) -> (data :Data);
  # Up to maxBytes bytes; empty data means end of stream.

  write @1 (data :Data) -> ();
  # Appends data; fails once the stream is closed.

  close @2 () -> ();
  # Ends the stream: reads then see end of stream, writes fail.
}

struct McpTool {
  name @0 :Text;         # "SERVER.TOOL": the node's --mcp NAME, then the server's tool name
  description @1 :Text;
  inputSchema @2 :Text;  # the tool's JSON Schema for its arguments, as JSON text
}

interface Mcp @0xe24619fe91a7a005 {
  # Ours: the node's local MCP servers (`ww run --mcp NAME=COMMAND`), each a
  # subprocess the node owns.  Tools are named "SERVER.TOOL"; arguments and
  # results are JSON text, so any MCP tool fits without a schema per tool.

  tools @0 () -> (tools :List(McpTool));
  # Every tool of every server that is up.

  call @1 (name :Text, arguments :Text) -> (result :Text);
  # Calls tool `name` with `arguments` (a JSON object); `result` is the MCP
  # CallToolResult as JSON: {"content": [...], "structuredContent": ...,
  # "isError": bool}.  A server that is down or dies during the call fails
  # the call with a reason naming it.
}

# Routing: two capabilities, each grantable alone (to find is not to be found).
# Keys are CID texts; a service name's key is `hash` of its UTF-8 bytes
# (CIDv1, raw codec, BLAKE3-256, as the reference node's Routing.hash), so a
# name means the same key to every node.  Both are epoch-scoped.

interface Finder {
  find @0 (key :Text, count :UInt32) -> (providers :List(PeerInfo));
  # Peers providing `key` that still confirm it when asked, at most
  # min(count, 16), this node first if it provides the key.  One deadline
  # bounds the search (a partial answer then); cancelled when the caller goes.

  hash @1 (data :Data) -> (key :Text);
  # The key for `data` (a service name): local, touches no network.
}

interface Announcer {
  provide @0 (key :Text) -> ();
  # Announce this node (its own peer ID and addresses) as a provider of
  # `key` on the DHT.  Withdrawn when the caller's guest goes (pid0 goes at
  # each new epoch) or the node stops.

  hash @1 (data :Data) -> (key :Text);
  # The key for `data`, as Finder.hash.
}

# Hooks: policy code in a guest of its own, with no capabilities, which a
# parent (pid0's policy, docs/policy.md) asks about each event it covers.

enum HookPhase @0xb4c6b153cab2ba6a {
  preCall @0;    # a call is about to be delivered (it may be transformed)
  postCall @1;   # a call's result is about to be returned (it may be transformed)
  spawn @2;      # a child guest is about to start
  dial @3;       # a connection to a peer is about to be opened
}

struct HookEvent @0x86f8066afceec9c5 {
  phase @0 :HookPhase;
  method @1 :Text;          # calls: "interface.method"; spawn: the component's path; dial: "host.dial"
  peer @2 :Text;            # calls: the calling peer's ID; dial: the peer dialed
  paramsBytes @3 :UInt32;   # calls: the encoded params' size
  resultBytes @4 :UInt32;   # postCall: the encoded results' size
  params @5 :Text;          # calls, when the policy asks: the params as JSON (Data as "0x" hex)
  result @6 :Text;          # postCall, when the policy asks: the results as JSON
  args @7 :List(Text);      # spawn: the child's arguments
}

enum HookAction @0x911b12cde5ea65f8 {
  allow @0;
  block @1;      # refuse, with the rationale
  transform @2;  # go on with `replacement` instead of the params (preCall) or results (postCall)
}

struct HookVerdict @0x858027910cca31c1 {
  action @0 :HookAction;
  rationale @1 :Text;       # why: named in a refusal, logged with a transform
  replacement @2 :Text;     # transform: the new params or results as JSON (fields to change)
}

interface Hook @0x990682af58ac2f9c {
  check @0 (event :HookEvent) -> (verdict :HookVerdict);
  # The hook's verdict on one event.  A hook that fails, traps or misses its
  # time budget is taken to have said block (fail closed).
}
