/*
** pbmini_abi.c: the protobuf-c runtime entry points that refimp and the
** generated code call, implemented by pbmini. Linked only where there is
** no libprotobuf-c (the bare-metal core, docs/cross.md).
*/
#include "pb/pbmini.h"

const char protobuf_c_empty_string[] = "";

size_t protobuf_c_message_get_packed_size(const ProtobufCMessage *m) {
  return pbmini_get_packed_size(m);
}

size_t protobuf_c_message_pack(const ProtobufCMessage *m, uint8_t *out) {
  return pbmini_pack(m, out);
}

size_t protobuf_c_message_pack_to_buffer(const ProtobufCMessage *m,
                                         ProtobufCBuffer *buf) {
  return pbmini_pack_to_buffer(m, buf);
}

ProtobufCMessage *
protobuf_c_message_unpack(const ProtobufCMessageDescriptor *desc,
                          ProtobufCAllocator *allocator, size_t len,
                          const uint8_t *data) {
  return pbmini_unpack(desc, allocator, len, data);
}

void protobuf_c_message_free_unpacked(ProtobufCMessage *m,
                                      ProtobufCAllocator *allocator) {
  pbmini_free_unpacked(m, allocator);
}

const ProtobufCFieldDescriptor *
protobuf_c_message_descriptor_get_field(const ProtobufCMessageDescriptor *desc,
                                        unsigned value) {
  return pbmini_get_field(desc, value);
}
