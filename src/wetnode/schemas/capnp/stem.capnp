# Epochs and the Membrane: how a guest authenticates and obtains its
# epoch-scoped capabilities.  Identities match the reference node.

@0x9bce094a026970c4;

struct Epoch {
  seq @0 :UInt64;          # the Atom contract's head sequence number
  head @1 :Data;           # the head bytes (a binary CID)
  adoptedBlock @2 :UInt64; # block at which the node adopted this epoch
}

interface Signer {
  sign @0 (nonce :UInt64) -> (sig :Data);
  # Signs the nonce under the domain the Signer was issued for.

  peer @1 () -> (peerId :Data);
  # Ours: the libp2p peer ID of the key this Signer signs with.  The Signer
  # a remote graft hands to pid0's export is the host's: the host checked it
  # against the connection's Noise identity, so this names who grafted.
}

interface Identity {
  signer @0 (domain :Text) -> (signer :Signer);
  # A Signer bound to one known signing domain; the key stays host-side.
}

interface Membrane {
  graft @0 (signer :Signer) -> (
    identity :Identity,
    host     :import "system.capnp".Host,
    executor :import "system.capnp".Executor,
    ipfs     :import "ipfs.capnp".Client,
    mcp      :import "system.capnp".Mcp,
    exports  :Exports
  );
  # Challenge-response: the membrane has `signer` sign a fresh nonce, checks
  # the signature, then returns capabilities bound to the current epoch.
  # Ours: `mcp` (the node's local MCP servers; null when it runs none) and
  # `exports` (set only by an exported membrane: what it lets peers call).
}

struct ExportedMethod {
  name @0 :Text;         # "interface.method" (executor.echo), or "mcp.SERVER.TOOL"
  description @1 :Text;  # for people and models; may be empty
}

interface Exports @0xd244fefc181a59e8 {
  # Ours: an export's own description of what it allows, so a client (such
  # as `ww mcp serve`) offers exactly those methods without guessing.

  list @0 () -> (methods :List(ExportedMethod));
}

interface GuestMembrane @0xe74d1a63914101b6 extends(Membrane) {
  # What the host bootstraps to a guest on its local link (pid0 or a child
  # spawned with Executor.runBytes).  On the wire it is a Membrane: callers
  # that only know Membrane see the same interface ID and ordinals.  The one
  # addition solves the first-graft problem: a fresh guest holds no key, and
  # no key ever enters guest memory.

  signer @0 () -> (signer :Signer);
  # A host-side Signer for the graft domain, bound to the key this membrane
  # verifies grafts against (the node key for pid0, a per-child key for a
  # child).  It is the guest's re-graft credential, so it survives epochs.

  stdin @1 () -> (stream :import "system.capnp".ByteStream);
  # The node's terminal input, readable by pid0 (children get an empty
  # stream).  A RPC stream rather than WASI stdin, so a guest waiting for a
  # keystroke still serves calls: its one thread blocks only on the channel.
}
