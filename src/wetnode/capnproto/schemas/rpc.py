"""Generated from rpc.capnp by scripts/gen_guest_schemas.py. Do not edit."""

from wetnode.capnproto import schema as _s


class Exception_Type:
    ID = 0xb28c96e23f4cbd58
    failed = 0
    overloaded = 1
    disconnected = 2
    unimplemented = 3


class Message(_s.Struct):
    ID = 0x91b79f1f808db032
    DATA_WORDS = 1
    PTR_COUNT = 1
    DISCRIMINANT_OFFSET = 0
    FIELDS = (
        _s.Field('unimplemented', ("struct", 0x91b79f1f808db032), offset=0, discriminant=0),
        _s.Field('abort', ("struct", 0xd625b7063acf691a), offset=0, discriminant=1),
        _s.Field('call', ("struct", 0x836a53ce789d4cd4), offset=0, discriminant=2),
        _s.Field('return', ("struct", 0x9e19b28d3db3573a), offset=0, discriminant=3),
        _s.Field('finish', ("struct", 0xd37d2eb2c2f80e63), offset=0, discriminant=4),
        _s.Field('resolve', ("struct", 0xbbc29655fa89086e), offset=0, discriminant=5),
        _s.Field('release', ("struct", 0xad1a6c0d7dd07497), offset=0, discriminant=6),
        _s.Field('obsoleteSave', ("any",), offset=0, discriminant=7),
        _s.Field('bootstrap', ("struct", 0xe94ccf8031176ec4), offset=0, discriminant=8),
        _s.Field('obsoleteDelete', ("any",), offset=0, discriminant=9),
        _s.Field('provide', ("struct", 0x9c6a046bfbc1ac5a), offset=0, discriminant=10),
        _s.Field('accept', ("struct", 0xd4c9b56290554016), offset=0, discriminant=11),
        _s.Field('join', ("struct", 0xfbe1980490e001af), offset=0, discriminant=12),
        _s.Field('disembargo', ("struct", 0xf964368b0fbd3711), offset=0, discriminant=13),
    )


class Bootstrap(_s.Struct):
    ID = 0xe94ccf8031176ec4
    DATA_WORDS = 1
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('questionId', ("num", "I"), offset=0),
        _s.Field('deprecatedObjectId', ("any",), offset=0),
    )


class Call(_s.Struct):
    ID = 0x836a53ce789d4cd4
    DATA_WORDS = 3
    PTR_COUNT = 3
    FIELDS = (
        _s.Field('questionId', ("num", "I"), offset=0),
        _s.Field('target', ("struct", 0x95bc14545813fbc1), offset=0),
        _s.Field('interfaceId', ("num", "Q"), offset=8),
        _s.Field('methodId', ("num", "H"), offset=4),
        _s.Field('params', ("struct", 0x9a0e61223d96743b), offset=1),
        _s.Field('sendResultsTo', ("group", 0xdae8b0f61aab5f99)),
        _s.Field('allowThirdPartyTailCall', ("bool",), offset=128, default=False),
        _s.Field('noPromisePipelining', ("bool",), offset=129, default=False),
        _s.Field('onlyPromisePipeline', ("bool",), offset=130, default=False),
    )


class Call_sendResultsTo(_s.Struct):
    ID = 0xdae8b0f61aab5f99
    DATA_WORDS = 3
    PTR_COUNT = 3
    DISCRIMINANT_OFFSET = 6
    FIELDS = (
        _s.Field('caller', ("void",), discriminant=0),
        _s.Field('yourself', ("void",), discriminant=1),
        _s.Field('thirdParty', ("any",), offset=2, discriminant=2),
    )


class Return(_s.Struct):
    ID = 0x9e19b28d3db3573a
    DATA_WORDS = 2
    PTR_COUNT = 1
    DISCRIMINANT_OFFSET = 6
    FIELDS = (
        _s.Field('answerId', ("num", "I"), offset=0),
        _s.Field('releaseParamCaps', ("bool",), offset=32, default=True),
        _s.Field('results', ("struct", 0x9a0e61223d96743b), offset=0, discriminant=0),
        _s.Field('exception', ("struct", 0xd625b7063acf691a), offset=0, discriminant=1),
        _s.Field('canceled', ("void",), discriminant=2),
        _s.Field('resultsSentElsewhere', ("void",), discriminant=3),
        _s.Field('takeFromOtherQuestion', ("num", "I"), offset=8, discriminant=4),
        _s.Field('acceptFromThirdParty', ("any",), offset=0, discriminant=5),
        _s.Field('noFinishNeeded', ("bool",), offset=33, default=False),
    )


class Finish(_s.Struct):
    ID = 0xd37d2eb2c2f80e63
    DATA_WORDS = 1
    PTR_COUNT = 0
    FIELDS = (
        _s.Field('questionId', ("num", "I"), offset=0),
        _s.Field('releaseResultCaps', ("bool",), offset=32, default=True),
        _s.Field('requireEarlyCancellationWorkaround', ("bool",), offset=33, default=True),
    )


class Resolve(_s.Struct):
    ID = 0xbbc29655fa89086e
    DATA_WORDS = 1
    PTR_COUNT = 1
    DISCRIMINANT_OFFSET = 4
    FIELDS = (
        _s.Field('promiseId', ("num", "I"), offset=0),
        _s.Field('cap', ("struct", 0x8523ddc40b86b8b0), offset=0, discriminant=0),
        _s.Field('exception', ("struct", 0xd625b7063acf691a), offset=0, discriminant=1),
    )


class Release(_s.Struct):
    ID = 0xad1a6c0d7dd07497
    DATA_WORDS = 1
    PTR_COUNT = 0
    FIELDS = (
        _s.Field('id', ("num", "I"), offset=0),
        _s.Field('referenceCount', ("num", "I"), offset=4),
    )


class Disembargo(_s.Struct):
    ID = 0xf964368b0fbd3711
    DATA_WORDS = 1
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('target', ("struct", 0x95bc14545813fbc1), offset=0),
        _s.Field('context', ("group", 0xd562b4df655bdd4d)),
    )


class Disembargo_context(_s.Struct):
    ID = 0xd562b4df655bdd4d
    DATA_WORDS = 1
    PTR_COUNT = 1
    DISCRIMINANT_OFFSET = 4
    FIELDS = (
        _s.Field('senderLoopback', ("num", "I"), offset=0, discriminant=0),
        _s.Field('receiverLoopback', ("num", "I"), offset=0, discriminant=1),
        _s.Field('accept', ("void",), discriminant=2),
        _s.Field('provide', ("num", "I"), offset=0, discriminant=3),
    )


class Provide(_s.Struct):
    ID = 0x9c6a046bfbc1ac5a
    DATA_WORDS = 1
    PTR_COUNT = 2
    FIELDS = (
        _s.Field('questionId', ("num", "I"), offset=0),
        _s.Field('target', ("struct", 0x95bc14545813fbc1), offset=0),
        _s.Field('recipient', ("any",), offset=1),
    )


class Accept(_s.Struct):
    ID = 0xd4c9b56290554016
    DATA_WORDS = 1
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('questionId', ("num", "I"), offset=0),
        _s.Field('provision', ("any",), offset=0),
        _s.Field('embargo', ("bool",), offset=32),
    )


class Join(_s.Struct):
    ID = 0xfbe1980490e001af
    DATA_WORDS = 1
    PTR_COUNT = 2
    FIELDS = (
        _s.Field('questionId', ("num", "I"), offset=0),
        _s.Field('target', ("struct", 0x95bc14545813fbc1), offset=0),
        _s.Field('keyPart', ("any",), offset=1),
    )


class MessageTarget(_s.Struct):
    ID = 0x95bc14545813fbc1
    DATA_WORDS = 1
    PTR_COUNT = 1
    DISCRIMINANT_OFFSET = 4
    FIELDS = (
        _s.Field('importedCap', ("num", "I"), offset=0, discriminant=0),
        _s.Field('promisedAnswer', ("struct", 0xd800b1d6cd6f1ca0), offset=0, discriminant=1),
    )


class Payload(_s.Struct):
    ID = 0x9a0e61223d96743b
    DATA_WORDS = 0
    PTR_COUNT = 2
    FIELDS = (
        _s.Field('content', ("any",), offset=0),
        _s.Field('capTable', ("list", ("struct", 0x8523ddc40b86b8b0)), offset=1),
    )


class CapDescriptor(_s.Struct):
    ID = 0x8523ddc40b86b8b0
    DATA_WORDS = 1
    PTR_COUNT = 1
    DISCRIMINANT_OFFSET = 0
    FIELDS = (
        _s.Field('none', ("void",), discriminant=0),
        _s.Field('senderHosted', ("num", "I"), offset=4, discriminant=1),
        _s.Field('senderPromise', ("num", "I"), offset=4, discriminant=2),
        _s.Field('receiverHosted', ("num", "I"), offset=4, discriminant=3),
        _s.Field('receiverAnswer', ("struct", 0xd800b1d6cd6f1ca0), offset=0, discriminant=4),
        _s.Field('thirdPartyHosted', ("struct", 0xd37007fde1f0027d), offset=0, discriminant=5),
        _s.Field('attachedFd', ("num", "B"), offset=2, default=255),
    )


class PromisedAnswer(_s.Struct):
    ID = 0xd800b1d6cd6f1ca0
    DATA_WORDS = 1
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('questionId', ("num", "I"), offset=0),
        _s.Field('transform', ("list", ("struct", 0xf316944415569081)), offset=0),
    )


class PromisedAnswer_Op(_s.Struct):
    ID = 0xf316944415569081
    DATA_WORDS = 1
    PTR_COUNT = 0
    DISCRIMINANT_OFFSET = 0
    FIELDS = (
        _s.Field('noop', ("void",), discriminant=0),
        _s.Field('getPointerField', ("num", "H"), offset=2, discriminant=1),
    )


class ThirdPartyCapDescriptor(_s.Struct):
    ID = 0xd37007fde1f0027d
    DATA_WORDS = 1
    PTR_COUNT = 1
    FIELDS = (
        _s.Field('id', ("any",), offset=0),
        _s.Field('vineId', ("num", "I"), offset=0),
    )


class Exception(_s.Struct):
    ID = 0xd625b7063acf691a
    DATA_WORDS = 1
    PTR_COUNT = 2
    FIELDS = (
        _s.Field('reason', ("text",), offset=0),
        _s.Field('obsoleteIsCallersFault', ("bool",), offset=0),
        _s.Field('obsoleteDurability', ("num", "H"), offset=2),
        _s.Field('type', ("num", "H"), offset=4),
        _s.Field('trace', ("text",), offset=1),
    )

PromisedAnswer.Op = PromisedAnswer_Op  # type: ignore[attr-defined]
Exception.Type = Exception_Type  # type: ignore[attr-defined]
