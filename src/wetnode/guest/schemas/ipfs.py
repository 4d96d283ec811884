"""Generated from capnp/ipfs.capnp by scripts/gen_guest_schemas.py. Do not edit."""

from wetnode.capnproto import schema as _s


class UnixFS_Entry_EntryType:
    ID = 0xa8cbfa3ebd001068
    file = 0
    directory = 1
    symlink = 2


class Client_unixfs_Params(_s.Struct):
    ID = 0xae402870f74d7f38
    DATA_WORDS = 0
    PTR_COUNT = 0


class Client_unixfs_Results(_s.Struct):
    ID = 0xbadcb02b65666810
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('api', ("iface", 0xed62a696eb305ea7), offset=0),
    )


class Client_block_Params(_s.Struct):
    ID = 0xc6e15d8f4d2753be
    DATA_WORDS = 0
    PTR_COUNT = 0


class Client_block_Results(_s.Struct):
    ID = 0xac0f0589454159b2
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('api', ("iface", 0x9d2d1a66e9d76a1c), offset=0),
    )


class Client_dag_Params(_s.Struct):
    ID = 0x9bce7fef7008c75b
    DATA_WORDS = 0
    PTR_COUNT = 0


class Client_dag_Results(_s.Struct):
    ID = 0x8321594c61cf2212
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('api', ("iface", 0xcfe3ee07d7f3d1b1), offset=0),
    )


class Client_name_Params(_s.Struct):
    ID = 0xfa8ca6513478aee6
    DATA_WORDS = 0
    PTR_COUNT = 0


class Client_name_Results(_s.Struct):
    ID = 0xb5ba264188dae982
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('api', ("iface", 0xbce5bbed1f7e19c1), offset=0),
    )


class Client_key_Params(_s.Struct):
    ID = 0xc32ef2fd8ad68024
    DATA_WORDS = 0
    PTR_COUNT = 0


class Client_key_Results(_s.Struct):
    ID = 0x880b761b1c19ef4b
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('api', ("iface", 0x9e71b3f6f86a1c53), offset=0),
    )


class Client_pin_Params(_s.Struct):
    ID = 0xe391a74b7cface71
    DATA_WORDS = 0
    PTR_COUNT = 0


class Client_pin_Results(_s.Struct):
    ID = 0x9d3b6d0b34231c0b
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('api', ("iface", 0xcc47750603954394), offset=0),
    )


class Client_object_Params(_s.Struct):
    ID = 0xbe78123874c1127d
    DATA_WORDS = 0
    PTR_COUNT = 0


class Client_object_Results(_s.Struct):
    ID = 0xfc8fb424da492d44
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('api', ("iface", 0xa78889b5b7ee0346), offset=0),
    )


class Client_swarm_Params(_s.Struct):
    ID = 0x92c57677e37c90fe
    DATA_WORDS = 0
    PTR_COUNT = 0


class Client_swarm_Results(_s.Struct):
    ID = 0xc5513062e296e3ba
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('api', ("iface", 0xb7798b7dc73b1880), offset=0),
    )


class Client_pubSub_Params(_s.Struct):
    ID = 0xdc9b546501fd827a
    DATA_WORDS = 0
    PTR_COUNT = 0


class Client_pubSub_Results(_s.Struct):
    ID = 0xce54c047b803513a
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('api', ("iface", 0xae832457b9225748), offset=0),
    )


class Client_routing_Params(_s.Struct):
    ID = 0xc78500deed607615
    DATA_WORDS = 0
    PTR_COUNT = 0


class Client_routing_Results(_s.Struct):
    ID = 0xf02e57ed1387b5f2
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('api', ("iface", 0xa9b200bf948b7dc7), offset=0),
    )


class Client_resolvePath_Params(_s.Struct):
    ID = 0xd85c72308decc2cf
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('path', ("text",), offset=0),
    )


class Client_resolvePath_Results(_s.Struct):
    ID = 0xc90abf03626ccc14
    DATA_WORDS = 0
    PTR_COUNT = 2
    FIELDS = (
        _s.Field('resolved', ("text",), offset=0),
        _s.Field('remainder', ("list", ("text",)), offset=1),
    )


class Client_resolveNode_Params(_s.Struct):
    ID = 0xa6e36baf98fe4da3
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('path', ("text",), offset=0),
    )


class Client_resolveNode_Results(_s.Struct):
    ID = 0xed5d81ad149a004b
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('node', ("data",), offset=0),
    )


class UnixFS_cat_Params(_s.Struct):
    ID = 0x919bdbdd6beeace2
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('path', ("text",), offset=0),
    )


class UnixFS_cat_Results(_s.Struct):
    ID = 0x86750de696192109
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('data', ("data",), offset=0),
    )


class UnixFS_ls_Params(_s.Struct):
    ID = 0x9eb883e08345af48
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('path', ("text",), offset=0),
    )


class UnixFS_ls_Results(_s.Struct):
    ID = 0xbc34d9de4446be0a
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('entries', ("list", ("struct", 0x99614d0a0000881d)), offset=0),
    )


class UnixFS_Entry(_s.Struct):
    ID = 0x99614d0a0000881d
    DATA_WORDS = 2
    PTR_COUNT = 2
    FIELDS = (
        _s.Field('name', ("text",), offset=0),
        _s.Field('size', ("num", "Q"), offset=0),
        _s.Field('type', ("num", "H"), offset=8),
        _s.Field('cid', ("data",), offset=1),
    )


class Client(_s.Interface):
    ID = 0xd74f0585ce163b98
    METHODS = (
        _s.Method('unixfs', 0, 0xae402870f74d7f38, 0xbadcb02b65666810),
        _s.Method('block', 1, 0xc6e15d8f4d2753be, 0xac0f0589454159b2),
        _s.Method('dag', 2, 0x9bce7fef7008c75b, 0x8321594c61cf2212),
        _s.Method('name', 3, 0xfa8ca6513478aee6, 0xb5ba264188dae982),
        _s.Method('key', 4, 0xc32ef2fd8ad68024, 0x880b761b1c19ef4b),
        _s.Method('pin', 5, 0xe391a74b7cface71, 0x9d3b6d0b34231c0b),
        _s.Method('object', 6, 0xbe78123874c1127d, 0xfc8fb424da492d44),
        _s.Method('swarm', 7, 0x92c57677e37c90fe, 0xc5513062e296e3ba),
        _s.Method('pubSub', 8, 0xdc9b546501fd827a, 0xce54c047b803513a),
        _s.Method('routing', 9, 0xc78500deed607615, 0xf02e57ed1387b5f2),
        _s.Method('resolvePath', 10, 0xd85c72308decc2cf, 0xc90abf03626ccc14),
        _s.Method('resolveNode', 11, 0xa6e36baf98fe4da3, 0xed5d81ad149a004b),
    )


class UnixFS(_s.Interface):
    ID = 0xed62a696eb305ea7
    METHODS = (
        _s.Method('cat', 0, 0x919bdbdd6beeace2, 0x86750de696192109),
        _s.Method('ls', 1, 0x9eb883e08345af48, 0xbc34d9de4446be0a),
    )


class Block(_s.Interface):
    ID = 0x9d2d1a66e9d76a1c


class Dag(_s.Interface):
    ID = 0xcfe3ee07d7f3d1b1


class Name(_s.Interface):
    ID = 0xbce5bbed1f7e19c1


class Key(_s.Interface):
    ID = 0x9e71b3f6f86a1c53


class Pin(_s.Interface):
    ID = 0xcc47750603954394


class Object(_s.Interface):
    ID = 0xa78889b5b7ee0346


class Swarm(_s.Interface):
    ID = 0xb7798b7dc73b1880


class PubSub(_s.Interface):
    ID = 0xae832457b9225748


class Routing(_s.Interface):
    ID = 0xa9b200bf948b7dc7

UnixFS.Entry = UnixFS_Entry  # type: ignore[attr-defined]
UnixFS_Entry.EntryType = UnixFS_Entry_EntryType  # type: ignore[attr-defined]
