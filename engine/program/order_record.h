// An order's record (OrderRecord, under the key OrderKey(partner, order)),
// as it is stored: from the ledger format "loyalty-ledger-4" on, without the
// fields that repeat another (OrderRecord.left_out names them), read back
// whole. Records written before are read as they are.
#ifndef LOYALTY_ENGINE_PROGRAM_ORDER_RECORD_H_
#define LOYALTY_ENGINE_PROGRAM_ORDER_RECORD_H_

#include <string>

#include "absl/strings/string_view.h"
#include "loyalty/v1/storage.pb.h"

namespace loyalty::program {

// The key of an order's record among the program layer's records.
std::string OrderKey(absl::string_view partner_id, absl::string_view order_id);

// `order` serialized without the fields that repeat another: its
// purchase's partner and order ids (the key holds them), the priced
// currency when it is the purchase's, the qualifying spend when it is the
// total due. `order` must be whole (left_out empty).
std::string StoredOrder(loyalty::v1::OrderRecord order);

// The whole record from `stored`, the value of the key
// OrderKey(partner_id, order_id); false when it does not parse.
bool ReadStoredOrder(absl::string_view stored, absl::string_view partner_id,
                     absl::string_view order_id,
                     loyalty::v1::OrderRecord* order);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_ORDER_RECORD_H_
