/*
** pbmini.h: our own small protobuf codec driven by protoc-c's generated
** descriptors, for targets without a protobuf-c runtime (the bare-metal
** core, docs/cross.md). It implements the part of the runtime API that
** refimp and the generated code call; pbmini_abi.c gives these functions
** their protobuf-c names in the bare build. Natively it is tested against
** libprotobuf-c (tests/unit/refimp_pbmini_test.c).
**
** Supported: proto2 and proto3 scalar, enum, string, bytes and message
** fields; required/optional/repeated/unlabelled; packed and unpacked
** repeated scalars; oneofs. Unknown fields are skipped, not kept. A
** non-repeated message field sent twice is merged into the first one.
** Nesting deeper than PBMINI_MAX_DEPTH is refused.
*/
#ifndef REFIMP_PB_PBMINI_H
#define REFIMP_PB_PBMINI_H

#include <protobuf-c/protobuf-c.h>

#define PBMINI_MAX_DEPTH 64

size_t pbmini_get_packed_size(const ProtobufCMessage *m);
size_t pbmini_pack(const ProtobufCMessage *m, uint8_t *out);
size_t pbmini_pack_to_buffer(const ProtobufCMessage *m, ProtobufCBuffer *buf);
/* NULL when the data is malformed, a required field is missing, the
** nesting is too deep or memory runs out. allocator NULL: malloc/free. */
ProtobufCMessage *pbmini_unpack(const ProtobufCMessageDescriptor *desc,
                                ProtobufCAllocator *allocator, size_t len,
                                const uint8_t *data);
void pbmini_free_unpacked(ProtobufCMessage *m, ProtobufCAllocator *allocator);
const ProtobufCFieldDescriptor *
pbmini_get_field(const ProtobufCMessageDescriptor *desc, unsigned id);

#endif
