#include "engine/program/entry_events.h"

#include <algorithm>
#include <cstdint>

#include "engine/ledger/accounts.h"

namespace loyalty::program {
namespace {

using ledger::MemberAccount;
using loyalty::v1::Event;
using loyalty::v1::EventKind;
using loyalty::v1::JournalEntry;

// What the entry's postings move on member accounts.
struct MemberMoves {
  int64_t points_in = 0;      // the entry's member: credits of points
  int64_t points_out = 0;     // ... debits of available points (> 0)
  int64_t pending_out = 0;    // ... debits of pending points (> 0)
  int64_t available_net = 0;  // ... available points, net
  int64_t cashback_net = 0;   // ... cashback, net
  int64_t expired = 0;        // credited to program/points/expired
  std::string other_member;   // another member credited (a referrer)
  int64_t other_points = 0;
  int64_t other_cashback = 0;
};

void AddMemberPosting(const JournalEntry& entry, const MemberAccount& account,
                      int64_t amount, MemberMoves* moves) {
  if (account.member_id != entry.member_id()) {
    moves->other_member = account.member_id;
    if (account.kind == MemberAccount::Kind::kCashback) {
      moves->other_cashback += amount;
    } else {
      moves->other_points += amount;
    }
    return;
  }
  switch (account.kind) {
    case MemberAccount::Kind::kCashback:
      moves->cashback_net += amount;
      return;
    case MemberAccount::Kind::kPointsAvailable:
      moves->available_net += amount;
      if (amount < 0) moves->points_out -= amount;
      break;
    case MemberAccount::Kind::kPointsPending:
      if (amount < 0) moves->pending_out -= amount;
      break;
  }
  if (amount > 0) moves->points_in += amount;
}

MemberMoves MovesOf(const JournalEntry& entry) {
  MemberMoves moves;
  for (const auto& posting : entry.postings()) {
    if (posting.account() == ledger::kProgramPointsExpired) {
      moves.expired += posting.amount();
      continue;
    }
    const auto account = ledger::ParseMemberAccount(posting.account());
    if (account) AddMemberPosting(entry, *account, posting.amount(), &moves);
  }
  return moves;
}

// An event of `kind` with the entry's common fields.
Event Base(const JournalEntry& entry, EventKind kind) {
  Event event;
  event.set_sequence(entry.sequence());
  event.set_kind(kind);
  event.set_member_id(entry.member_id());
  *event.mutable_record_time() = entry.record_time();
  *event.mutable_effective_time() = entry.effective_time();
  event.set_partner_id(entry.partner_id());
  event.set_order_id(entry.order_id());
  event.set_store_id(entry.store_id());
  event.set_currency(entry.purchase().currency());
  event.set_description(entry.description());
  return event;
}

void SetMoney(const JournalEntry& entry, const MemberMoves& moves,
              Event* event) {
  const auto& summary = entry.purchase();
  event->set_points(moves.points_in - moves.points_out - moves.pending_out);
  event->set_cashback_minor(moves.cashback_net);
  event->set_total_due_minor(summary.total_due_minor());
  event->set_subtotal_minor(summary.subtotal_minor());
  event->set_discount_minor(summary.discount_minor());
  event->set_tier(summary.tier());
}

int Rung(const TierLadder& ladder, const std::string& tier) {
  if (tier.empty()) return -1;
  auto it = std::find(ladder.begin(), ladder.end(), tier);
  return it == ladder.end() ? -2 : static_cast<int>(it - ladder.begin());
}

void AddTierChange(const JournalEntry& entry, const TierLadder& ladder,
                   const char* reason, std::vector<Event>* events) {
  if (entry.tier_before() == entry.tier_after()) return;
  Event event = Base(entry, loyalty::v1::EVENT_KIND_TIER_CHANGED);
  event.set_tier_before(entry.tier_before());
  event.set_tier_after(entry.tier_after());
  event.set_reason(reason);
  const int before = Rung(ladder, entry.tier_before());
  const int after = Rung(ladder, entry.tier_after());
  if (before != -2 && after != -2) {
    event.set_direction(after > before ? loyalty::v1::TIER_DIRECTION_UP
                                       : loyalty::v1::TIER_DIRECTION_DOWN);
  }
  events->push_back(std::move(event));
}

// The referrer's side of a referral, when the entry moved another member's
// accounts.
void AddReferral(const JournalEntry& entry, const MemberMoves& moves,
                 EventKind kind, std::vector<Event>* events) {
  if (moves.other_member.empty()) return;
  Event referral = Base(entry, kind);
  referral.set_member_id(moves.other_member);
  referral.set_newcomer_id(entry.member_id());
  referral.set_points(moves.other_points);
  referral.set_cashback_minor(moves.other_cashback);
  events->push_back(std::move(referral));
}

void AddPurchase(const JournalEntry& entry, const TierLadder& ladder,
                 std::vector<Event>* events) {
  const MemberMoves moves = MovesOf(entry);
  Event sale = Base(entry, loyalty::v1::EVENT_KIND_PURCHASE_COMMITTED);
  SetMoney(entry, moves, &sale);
  sale.set_points_earned(moves.points_in);
  sale.set_points_redeemed(moves.points_out);
  events->push_back(std::move(sale));
  AddTierChange(entry, ladder, "purchase", events);
  AddReferral(entry, moves, loyalty::v1::EVENT_KIND_REFERRAL_REWARDED, events);
}

// One event of `kind` whose amounts are the entry's net member moves.
void AddSimple(const JournalEntry& entry, EventKind kind,
               std::vector<Event>* events) {
  const MemberMoves moves = MovesOf(entry);
  Event event = Base(entry, kind);
  SetMoney(entry, moves, &event);
  if (kind == loyalty::v1::EVENT_KIND_ADJUSTMENT_MADE) {
    event.set_reason(entry.reason_code());
    event.set_note(entry.note());
  }
  event.set_reward_id(entry.reward_id());
  events->push_back(std::move(event));
  if (kind == loyalty::v1::EVENT_KIND_REFUND) {
    AddReferral(entry, moves, loyalty::v1::EVENT_KIND_REFERRAL_REVERSED,
                events);
  }
}

void AddUpkeep(const JournalEntry& entry, const TierLadder& ladder,
               std::vector<Event>* events) {
  const MemberMoves moves = MovesOf(entry);
  const int64_t released = moves.pending_out;
  const int64_t birthday = moves.available_net - released + moves.expired;
  const std::pair<EventKind, int64_t> parts[] = {
      {loyalty::v1::EVENT_KIND_POINTS_RELEASED, released},
      {loyalty::v1::EVENT_KIND_POINTS_EXPIRED, -moves.expired},
      {loyalty::v1::EVENT_KIND_BIRTHDAY_GIFT, birthday}};
  for (const auto& [kind, points] : parts) {
    if (points == 0) continue;
    Event event = Base(entry, kind);
    event.set_points(points);
    events->push_back(std::move(event));
  }
  AddTierChange(entry, ladder, "review", events);
}

// The points a notice announces; nothing moves (`points` stays 0).
void AddNotice(const JournalEntry& entry, std::vector<Event>* events) {
  Event event = Base(entry, loyalty::v1::EVENT_KIND_POINTS_EXPIRING);
  int64_t announced = 0;
  for (const loyalty::v1::ExpiringPoints& expiring : entry.expiring()) {
    announced += expiring.points();  // lots held when written: no overflow
  }
  event.set_points_expiring(announced);
  *event.mutable_expiring() = entry.expiring();
  events->push_back(std::move(event));
}

}  // namespace

std::vector<Event> EventsOfEntry(const JournalEntry& entry,
                                 const TierLadder& ladder) {
  std::vector<Event> events;
  switch (entry.kind()) {
    case loyalty::v1::ENTRY_KIND_ENROLL:
      events.push_back(Base(entry, loyalty::v1::EVENT_KIND_MEMBER_ENROLLED));
      break;
    case loyalty::v1::ENTRY_KIND_PURCHASE:
      AddPurchase(entry, ladder, &events);
      break;
    case loyalty::v1::ENTRY_KIND_REFUND:
      AddSimple(entry, loyalty::v1::EVENT_KIND_REFUND, &events);
      break;
    case loyalty::v1::ENTRY_KIND_REWARD:
      AddSimple(entry, loyalty::v1::EVENT_KIND_REWARD_REDEEMED, &events);
      break;
    case loyalty::v1::ENTRY_KIND_ADJUSTMENT:
      AddSimple(entry, loyalty::v1::EVENT_KIND_ADJUSTMENT_MADE, &events);
      break;
    case loyalty::v1::ENTRY_KIND_UPKEEP:
      AddUpkeep(entry, ladder, &events);
      break;
    case loyalty::v1::ENTRY_KIND_EXPIRY_NOTICE:
      AddNotice(entry, &events);
      break;
    default:
      break;
  }
  for (size_t i = 0; i < events.size(); ++i) {
    events[i].set_index(static_cast<int32_t>(i));
  }
  return events;
}

}  // namespace loyalty::program
