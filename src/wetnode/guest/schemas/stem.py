"""Generated from capnp/stem.capnp by scripts/gen_guest_schemas.py. Do not edit."""

from wetnode.capnproto import schema as _s
from wetnode.guest.schemas import ipfs  # registers types
from wetnode.guest.schemas import system  # registers types


class Epoch(_s.Struct):
    ID = 0xc736e79956026568
    DATA_WORDS = 2
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('seq', ("num", "Q"), offset=0),
        _s.Field('head', ("data",), offset=0),
        _s.Field('adoptedBlock', ("num", "Q"), offset=8),
    )


class Signer_sign_Params(_s.Struct):
    ID = 0xd69e2045cda218c6
    DATA_WORDS = 1
    PTR_COUNT = 0
    FIELDS = (
        _s.Field('nonce', ("num", "Q"), offset=0),
    )


class Signer_sign_Results(_s.Struct):
    ID = 0xb37b945d7b765d8a
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('sig', ("data",), offset=0),
    )


class Signer_peer_Params(_s.Struct):
    ID = 0x9c77826051365ff4
    DATA_WORDS = 0
    PTR_COUNT = 0


class Signer_peer_Results(_s.Struct):
    ID = 0xd1b04b739a32f949
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('peerId', ("data",), offset=0),
    )


class Identity_signer_Params(_s.Struct):
    ID = 0xa56d9108b3436977
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('domain', ("text",), offset=0),
    )


class Identity_signer_Results(_s.Struct):
    ID = 0x892a7fa9161c1a5c
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('signer', ("iface", 0xafafaf9468b6a274), offset=0),
    )


class Membrane_graft_Params(_s.Struct):
    ID = 0xa2a2c11a72c21493
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('signer', ("iface", 0xafafaf9468b6a274), offset=0),
    )


class Membrane_graft_Results(_s.Struct):
    ID = 0x84bddf053380d99e
    DATA_WORDS = 0
    PTR_COUNT = 6
    FIELDS = (
        _s.Field('identity', ("iface", 0xa7c200e5b4726d89), offset=0),
        _s.Field('host', ("iface", 0x9ea70c8c9aefb70c), offset=1),
        _s.Field('executor', ("iface", 0xbfa37c1e99b4a492), offset=2),
        _s.Field('ipfs', ("iface", 0xd74f0585ce163b98), offset=3),
        _s.Field('mcp', ("iface", 0xe24619fe91a7a005), offset=4),
        _s.Field('exports', ("iface", 0xd244fefc181a59e8), offset=5),
    )


class ExportedMethod(_s.Struct):
    ID = 0x978d13fb6b4d5663
    DATA_WORDS = 0
    PTR_COUNT = 2
    FIELDS = (
        _s.Field('name', ("text",), offset=0),
        _s.Field('description', ("text",), offset=1),
    )


class Exports_list_Params(_s.Struct):
    ID = 0xfc8f8aeb14dbd6cd
    DATA_WORDS = 0
    PTR_COUNT = 0


class Exports_list_Results(_s.Struct):
    ID = 0xf3097dbf0b4c25ac
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('methods', ("list", ("struct", 0x978d13fb6b4d5663)), offset=0),
    )


class GuestMembrane_signer_Params(_s.Struct):
    ID = 0xcc147f01bb72da38
    DATA_WORDS = 0
    PTR_COUNT = 0


class GuestMembrane_signer_Results(_s.Struct):
    ID = 0xd262c64c95caffa1
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('signer', ("iface", 0xafafaf9468b6a274), offset=0),
    )


class GuestMembrane_stdin_Params(_s.Struct):
    ID = 0x84bf67a3b61c4aea
    DATA_WORDS = 0
    PTR_COUNT = 0


class GuestMembrane_stdin_Results(_s.Struct):
    ID = 0xf013f6df21de1273
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('stream', ("iface", 0xcb8707ff6dc46ee0), offset=0),
    )


class Signer(_s.Interface):
    ID = 0xafafaf9468b6a274
    METHODS = (
        _s.Method('sign', 0, 0xd69e2045cda218c6, 0xb37b945d7b765d8a),
        _s.Method('peer', 1, 0x9c77826051365ff4, 0xd1b04b739a32f949),
    )


class Identity(_s.Interface):
    ID = 0xa7c200e5b4726d89
    METHODS = (
        _s.Method('signer', 0, 0xa56d9108b3436977, 0x892a7fa9161c1a5c),
    )


class Membrane(_s.Interface):
    ID = 0xdb52c25106bc2c5e
    METHODS = (
        _s.Method('graft', 0, 0xa2a2c11a72c21493, 0x84bddf053380d99e),
    )


class Exports(_s.Interface):
    ID = 0xd244fefc181a59e8
    METHODS = (
        _s.Method('list', 0, 0xfc8f8aeb14dbd6cd, 0xf3097dbf0b4c25ac),
    )


class GuestMembrane(_s.Interface):
    ID = 0xe74d1a63914101b6
    SUPERCLASSES = (Membrane,)
    METHODS = (
        _s.Method('signer', 0, 0xcc147f01bb72da38, 0xd262c64c95caffa1),
        _s.Method('stdin', 1, 0x84bf67a3b61c4aea, 0xf013f6df21de1273),
    )
