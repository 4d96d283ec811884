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
