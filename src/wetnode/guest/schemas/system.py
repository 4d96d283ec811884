"""Generated from capnp/system.capnp by scripts/gen_guest_schemas.py. Do not edit."""

from wetnode.capnproto import schema as _s


class HookPhase:
    ID = 0xb4c6b153cab2ba6a
    preCall = 0
    postCall = 1
    spawn = 2
    dial = 3


class HookAction:
    ID = 0x911b12cde5ea65f8
    allow = 0
    block = 1
    transform = 2


class PeerInfo(_s.Struct):
    ID = 0x9a219c7d16c9532a
    DATA_WORDS = 0
    PTR_COUNT = 2
    FIELDS = (
        _s.Field('peerId', ("data",), offset=0),
        _s.Field('addrs', ("list", ("data",)), offset=1),
    )


class Host_id_Params(_s.Struct):
    ID = 0xb36555c6fe67a030
    DATA_WORDS = 0
    PTR_COUNT = 0


class Host_id_Results(_s.Struct):
    ID = 0xe7082d37d1a4b2f8
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('peerId', ("data",), offset=0),
    )


class Host_addrs_Params(_s.Struct):
    ID = 0xd4a226741bd30ca3
    DATA_WORDS = 0
    PTR_COUNT = 0


class Host_addrs_Results(_s.Struct):
    ID = 0xf88f3f70b7ff6492
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('addrs', ("list", ("data",)), offset=0),
    )


class Host_peers_Params(_s.Struct):
    ID = 0xe6e20262e79b3f1c
    DATA_WORDS = 0
    PTR_COUNT = 0


class Host_peers_Results(_s.Struct):
    ID = 0xbeb702137f2b431d
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('peers', ("list", ("struct", 0x9a219c7d16c9532a)), offset=0),
    )


class Host_connect_Params(_s.Struct):
    ID = 0xeefc4ef50b9ebf5e
    DATA_WORDS = 0
    PTR_COUNT = 2
    FIELDS = (
        _s.Field('peerId', ("data",), offset=0),
        _s.Field('addrs', ("list", ("data",)), offset=1),
    )


class Host_connect_Results(_s.Struct):
    ID = 0xcd6d51ed4fe1db9f
    DATA_WORDS = 0
    PTR_COUNT = 0


class Host_executor_Params(_s.Struct):
    ID = 0xaae7e1ad6ab59082
    DATA_WORDS = 0
    PTR_COUNT = 0


class Host_executor_Results(_s.Struct):
    ID = 0xc15f52d514bcb889
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('executor', ("iface", 0xbfa37c1e99b4a492), offset=0),
    )


class Host_dial_Params(_s.Struct):
    ID = 0xb4f73757a0c734e6
    DATA_WORDS = 0
    PTR_COUNT = 2
    FIELDS = (
        _s.Field('peerId', ("data",), offset=0),
        _s.Field('addrs', ("list", ("data",)), offset=1),
    )


class Host_dial_Results(_s.Struct):
    ID = 0xacdc502b88b54ba8
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('cap', ("any",), offset=0),
    )


class Executor_runBytes_Params(_s.Struct):
    ID = 0xfd99858edaec5cbe
    DATA_WORDS = 0
    PTR_COUNT = 3
    FIELDS = (
        _s.Field('wasm', ("data",), offset=0),
        _s.Field('args', ("list", ("text",)), offset=1),
        _s.Field('env', ("list", ("text",)), offset=2),
    )


class Executor_runBytes_Results(_s.Struct):
    ID = 0xc831f10a1507db94
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('process', ("iface", 0x97d4030d8435f0b1), offset=0),
    )


class Executor_echo_Params(_s.Struct):
    ID = 0xd018ea8912f6f6b0
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('message', ("text",), offset=0),
    )


class Executor_echo_Results(_s.Struct):
    ID = 0xeddd325c5b87460a
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('response', ("text",), offset=0),
    )


class Executor_load_Params(_s.Struct):
    ID = 0xd3c38e41c5624d7f
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('wasm', ("data",), offset=0),
    )


class Executor_load_Results(_s.Struct):
    ID = 0xc5a0869beda1e037
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('binary', ("iface", 0xab8c048c938c9398), offset=0),
    )


class Executor_loadPath_Params(_s.Struct):
    ID = 0xab2fb8dc474e10dc
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('path', ("text",), offset=0),
    )


class Executor_loadPath_Results(_s.Struct):
    ID = 0xfeaa1278876cc8a8
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('binary', ("iface", 0xab8c048c938c9398), offset=0),
    )


class Binary_spawn_Params(_s.Struct):
    ID = 0x9e3898e4ad2bd66b
    DATA_WORDS = 0
    PTR_COUNT = 2
    FIELDS = (
        _s.Field('args', ("list", ("text",)), offset=0),
        _s.Field('env', ("list", ("text",)), offset=1),
    )


class Binary_spawn_Results(_s.Struct):
    ID = 0xc2da2083e97f9e25
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('process', ("iface", 0x97d4030d8435f0b1), offset=0),
    )


class Binary_spawnBare_Params(_s.Struct):
    ID = 0xdc29b6467fdb7f2a
    DATA_WORDS = 0
    PTR_COUNT = 2
    FIELDS = (
        _s.Field('args', ("list", ("text",)), offset=0),
        _s.Field('env', ("list", ("text",)), offset=1),
    )


class Binary_spawnBare_Results(_s.Struct):
    ID = 0xfa11588724aa16c0
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('process', ("iface", 0x97d4030d8435f0b1), offset=0),
    )


class Binary_spawnWith_Params(_s.Struct):
    ID = 0xc385a434fa05996a
    DATA_WORDS = 0
    PTR_COUNT = 3
    FIELDS = (
        _s.Field('args', ("list", ("text",)), offset=0),
        _s.Field('env', ("list", ("text",)), offset=1),
        _s.Field('caps', ("list", ("struct", 0xbb8d5590cb2f3d2e)), offset=2),
    )


class Binary_spawnWith_Results(_s.Struct):
    ID = 0xb0e10f18460632ca
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('process', ("iface", 0x97d4030d8435f0b1), offset=0),
    )


class Export(_s.Struct):
    ID = 0xbb8d5590cb2f3d2e
    DATA_WORDS = 0
    PTR_COUNT = 2
    FIELDS = (
        _s.Field('name', ("text",), offset=0),
        _s.Field('cap', ("any",), offset=1),
    )


class Process_stdin_Params(_s.Struct):
    ID = 0xa23c0a2af3746114
    DATA_WORDS = 0
    PTR_COUNT = 0


class Process_stdin_Results(_s.Struct):
    ID = 0x98e6d6423a9132b9
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('stream', ("iface", 0xcb8707ff6dc46ee0), offset=0),
    )


class Process_stdout_Params(_s.Struct):
    ID = 0xf5d2661717505b70
    DATA_WORDS = 0
    PTR_COUNT = 0


class Process_stdout_Results(_s.Struct):
    ID = 0x8f5b69af39cf427d
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('stream', ("iface", 0xcb8707ff6dc46ee0), offset=0),
    )


class Process_stderr_Params(_s.Struct):
    ID = 0xa003d3e817ce85c8
    DATA_WORDS = 0
    PTR_COUNT = 0


class Process_stderr_Results(_s.Struct):
    ID = 0xf945201353815ab1
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('stream', ("iface", 0xcb8707ff6dc46ee0), offset=0),
    )


class Process_wait_Params(_s.Struct):
    ID = 0xb93564518c7f4003
    DATA_WORDS = 0
    PTR_COUNT = 0


class Process_wait_Results(_s.Struct):
    ID = 0xe8b1769b27d7ee79
    DATA_WORDS = 1
    PTR_COUNT = 0
    FIELDS = (
        _s.Field('exitCode', ("num", "i"), offset=0),
    )


class Process_bootstrap_Params(_s.Struct):
    ID = 0xb666c12876f210ce
    DATA_WORDS = 0
    PTR_COUNT = 0


class Process_bootstrap_Results(_s.Struct):
    ID = 0xc509ffd6dbfaac0a
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('cap', ("any",), offset=0),
    )


class Process_kill_Params(_s.Struct):
    ID = 0x9f8cb480b9771f07
    DATA_WORDS = 0
    PTR_COUNT = 0


class Process_kill_Results(_s.Struct):
    ID = 0xe503cd5c3efd7a95
    DATA_WORDS = 0
    PTR_COUNT = 0


class Process_hook_Params(_s.Struct):
    ID = 0x8b6498ddd4c29cb9
    DATA_WORDS = 1
    PTR_COUNT = 0
    FIELDS = (
        _s.Field('budgetMillis', ("num", "I"), offset=0),
    )


class Process_hook_Results(_s.Struct):
    ID = 0x99117757fa17b3ac
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('hook', ("iface", 0x990682af58ac2f9c), offset=0),
    )


class ByteStream_read_Params(_s.Struct):
    ID = 0xcb6cc0bddba8089b
    DATA_WORDS = 1
    PTR_COUNT = 0
    FIELDS = (
        _s.Field('maxBytes', ("num", "I"), offset=0),
    )


class ByteStream_read_Results(_s.Struct):
    ID = 0xb7a1267c5f7f68e1
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('data', ("data",), offset=0),
    )


class ByteStream_write_Params(_s.Struct):
    ID = 0xda4a7cfa987eb90d
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('data', ("data",), offset=0),
    )


class ByteStream_write_Results(_s.Struct):
    ID = 0xde0d73def8619020
    DATA_WORDS = 0
    PTR_COUNT = 0


class ByteStream_close_Params(_s.Struct):
    ID = 0xd4d55751d57f20d5
    DATA_WORDS = 0
    PTR_COUNT = 0


class ByteStream_close_Results(_s.Struct):
    ID = 0x9934e9217c7def52
    DATA_WORDS = 0
    PTR_COUNT = 0


class McpTool(_s.Struct):
    ID = 0xcfd1647b20c2b5d9
    DATA_WORDS = 0
    PTR_COUNT = 3
    FIELDS = (
        _s.Field('name', ("text",), offset=0),
        _s.Field('description', ("text",), offset=1),
        _s.Field('inputSchema', ("text",), offset=2),
    )


class Mcp_tools_Params(_s.Struct):
    ID = 0xbe5e2c2f5f9c8b0e
    DATA_WORDS = 0
    PTR_COUNT = 0


class Mcp_tools_Results(_s.Struct):
    ID = 0x8f55676b0e3d9895
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('tools', ("list", ("struct", 0xcfd1647b20c2b5d9)), offset=0),
    )


class Mcp_call_Params(_s.Struct):
    ID = 0xaf5315b07dbf0edf
    DATA_WORDS = 0
    PTR_COUNT = 2
    FIELDS = (
        _s.Field('name', ("text",), offset=0),
        _s.Field('arguments', ("text",), offset=1),
    )


class Mcp_call_Results(_s.Struct):
    ID = 0x95d6b1b16643f4e0
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('result', ("text",), offset=0),
    )


class Finder_find_Params(_s.Struct):
    ID = 0xb434b0778b788a70
    DATA_WORDS = 1
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('key', ("text",), offset=0),
        _s.Field('count', ("num", "I"), offset=0),
    )


class Finder_find_Results(_s.Struct):
    ID = 0xf0af2de0168ddb4f
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('providers', ("list", ("struct", 0x9a219c7d16c9532a)), offset=0),
    )


class Finder_hash_Params(_s.Struct):
    ID = 0xf381bab91d3872dc
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('data', ("data",), offset=0),
    )


class Finder_hash_Results(_s.Struct):
    ID = 0x87d750901f876287
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('key', ("text",), offset=0),
    )


class Announcer_provide_Params(_s.Struct):
    ID = 0x987297b1d1a178e4
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('key', ("text",), offset=0),
    )


class Announcer_provide_Results(_s.Struct):
    ID = 0xa3aa20145f4a43f3
    DATA_WORDS = 0
    PTR_COUNT = 0


class Announcer_hash_Params(_s.Struct):
    ID = 0xea52dad1601b3bb3
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('data', ("data",), offset=0),
    )


class Announcer_hash_Results(_s.Struct):
    ID = 0xda125e6a2e29a966
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('key', ("text",), offset=0),
    )


class HookEvent(_s.Struct):
    ID = 0x86f8066afceec9c5
    DATA_WORDS = 2
    PTR_COUNT = 5
    FIELDS = (
        _s.Field('phase', ("num", "H"), offset=0),
        _s.Field('method', ("text",), offset=0),
        _s.Field('peer', ("text",), offset=1),
        _s.Field('paramsBytes', ("num", "I"), offset=4),
        _s.Field('resultBytes', ("num", "I"), offset=8),
        _s.Field('params', ("text",), offset=2),
        _s.Field('result', ("text",), offset=3),
        _s.Field('args', ("list", ("text",)), offset=4),
    )


class HookVerdict(_s.Struct):
    ID = 0x858027910cca31c1
    DATA_WORDS = 1
    PTR_COUNT = 2
    FIELDS = (
        _s.Field('action', ("num", "H"), offset=0),
        _s.Field('rationale', ("text",), offset=0),
        _s.Field('replacement', ("text",), offset=1),
    )


class Hook_check_Params(_s.Struct):
    ID = 0xe0eaca8ce2f6f3a7
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('event', ("struct", 0x86f8066afceec9c5), offset=0),
    )


class Hook_check_Results(_s.Struct):
    ID = 0x93922def84199875
    DATA_WORDS = 0
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('verdict', ("struct", 0x858027910cca31c1), offset=0),
    )


class Host(_s.Interface):
    ID = 0x9ea70c8c9aefb70c
    METHODS = (
        _s.Method('id', 0, 0xb36555c6fe67a030, 0xe7082d37d1a4b2f8),
        _s.Method('addrs', 1, 0xd4a226741bd30ca3, 0xf88f3f70b7ff6492),
        _s.Method('peers', 2, 0xe6e20262e79b3f1c, 0xbeb702137f2b431d),
        _s.Method('connect', 3, 0xeefc4ef50b9ebf5e, 0xcd6d51ed4fe1db9f),
        _s.Method('executor', 4, 0xaae7e1ad6ab59082, 0xc15f52d514bcb889),
        _s.Method('dial', 5, 0xb4f73757a0c734e6, 0xacdc502b88b54ba8),
    )


class Executor(_s.Interface):
    ID = 0xbfa37c1e99b4a492
    METHODS = (
        _s.Method('runBytes', 0, 0xfd99858edaec5cbe, 0xc831f10a1507db94),
        _s.Method('echo', 1, 0xd018ea8912f6f6b0, 0xeddd325c5b87460a),
        _s.Method('load', 2, 0xd3c38e41c5624d7f, 0xc5a0869beda1e037),
        _s.Method('loadPath', 3, 0xab2fb8dc474e10dc, 0xfeaa1278876cc8a8),
    )


class Binary(_s.Interface):
    ID = 0xab8c048c938c9398
    METHODS = (
        _s.Method('spawn', 0, 0x9e3898e4ad2bd66b, 0xc2da2083e97f9e25),
        _s.Method('spawnBare', 1, 0xdc29b6467fdb7f2a, 0xfa11588724aa16c0),
        _s.Method('spawnWith', 2, 0xc385a434fa05996a, 0xb0e10f18460632ca),
    )


class Process(_s.Interface):
    ID = 0x97d4030d8435f0b1
    METHODS = (
        _s.Method('stdin', 0, 0xa23c0a2af3746114, 0x98e6d6423a9132b9),
        _s.Method('stdout', 1, 0xf5d2661717505b70, 0x8f5b69af39cf427d),
        _s.Method('stderr', 2, 0xa003d3e817ce85c8, 0xf945201353815ab1),
        _s.Method('wait', 3, 0xb93564518c7f4003, 0xe8b1769b27d7ee79),
        _s.Method('bootstrap', 4, 0xb666c12876f210ce, 0xc509ffd6dbfaac0a),
        _s.Method('kill', 5, 0x9f8cb480b9771f07, 0xe503cd5c3efd7a95),
        _s.Method('hook', 6, 0x8b6498ddd4c29cb9, 0x99117757fa17b3ac),
    )


class ByteStream(_s.Interface):
    ID = 0xcb8707ff6dc46ee0
    METHODS = (
        _s.Method('read', 0, 0xcb6cc0bddba8089b, 0xb7a1267c5f7f68e1),
        _s.Method('write', 1, 0xda4a7cfa987eb90d, 0xde0d73def8619020),
        _s.Method('close', 2, 0xd4d55751d57f20d5, 0x9934e9217c7def52),
    )


class Mcp(_s.Interface):
    ID = 0xe24619fe91a7a005
    METHODS = (
        _s.Method('tools', 0, 0xbe5e2c2f5f9c8b0e, 0x8f55676b0e3d9895),
        _s.Method('call', 1, 0xaf5315b07dbf0edf, 0x95d6b1b16643f4e0),
    )


class Finder(_s.Interface):
    ID = 0xd8219a109cba29f8
    METHODS = (
        _s.Method('find', 0, 0xb434b0778b788a70, 0xf0af2de0168ddb4f),
        _s.Method('hash', 1, 0xf381bab91d3872dc, 0x87d750901f876287),
    )


class Announcer(_s.Interface):
    ID = 0xec18788aece862e9
    METHODS = (
        _s.Method('provide', 0, 0x987297b1d1a178e4, 0xa3aa20145f4a43f3),
        _s.Method('hash', 1, 0xea52dad1601b3bb3, 0xda125e6a2e29a966),
    )


class Hook(_s.Interface):
    ID = 0x990682af58ac2f9c
    METHODS = (
        _s.Method('check', 0, 0xe0eaca8ce2f6f3a7, 0x93922def84199875),
    )
