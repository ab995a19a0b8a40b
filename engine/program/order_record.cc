#include "engine/program/order_record.h"

#include "absl/strings/str_cat.h"

namespace loyalty::program {

using loyalty::v1::OrderRecord;

std::string OrderKey(absl::string_view partner_id, absl::string_view order_id) {
  return absl::StrCat("order/", partner_id, "/", order_id);
}

std::string StoredOrder(OrderRecord order) {
  uint32_t left_out = loyalty::v1::ORDER_LEFT_OUT_KEY_IDS;
  order.mutable_purchase()->clear_partner_id();
  order.mutable_purchase()->clear_order_id();
  if (order.priced().currency() == order.purchase().currency()) {
    order.mutable_priced()->clear_currency();
    left_out |= loyalty::v1::ORDER_LEFT_OUT_PRICED_CURRENCY;
  }
  if (order.qualifying_spend_minor() == order.priced().total_due_minor()) {
    order.clear_qualifying_spend_minor();
    left_out |= loyalty::v1::ORDER_LEFT_OUT_QUALIFYING_SPEND;
  }
  order.set_left_out(left_out);
  return order.SerializeAsString();
}

bool ReadStoredOrder(absl::string_view stored, absl::string_view partner_id,
                     absl::string_view order_id, OrderRecord* order) {
  if (!order->ParseFromArray(stored.data(), static_cast<int>(stored.size()))) {
    return false;
  }
  const uint32_t left_out = order->left_out();
  if (left_out & loyalty::v1::ORDER_LEFT_OUT_KEY_IDS) {
    order->mutable_purchase()->set_partner_id(std::string(partner_id));
    order->mutable_purchase()->set_order_id(std::string(order_id));
  }
  if (left_out & loyalty::v1::ORDER_LEFT_OUT_PRICED_CURRENCY) {
    order->mutable_priced()->set_currency(order->purchase().currency());
  }
  if (left_out & loyalty::v1::ORDER_LEFT_OUT_QUALIFYING_SPEND) {
    order->set_qualifying_spend_minor(order->priced().total_due_minor());
  }
  order->clear_left_out();
  return true;
}

}  // namespace loyalty::program
