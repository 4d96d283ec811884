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
    ipfs     :import "ipfs.capnp".Client
  );
  # Challenge-response: the membrane has `signer` sign a fresh nonce, checks
  # the signature, then returns capabilities bound to the current epoch.
}
