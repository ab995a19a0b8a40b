#include "engine/ledger/format_members.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/base/member_index.h"
#include "engine/base/profile_seal.h"
#include "engine/base/status_macros.h"
#include "engine/ledger/keys.h"
#include "engine/ledger/rocksdb_options.h"
#include "loyalty/v1/members.pb.h"
#include "loyalty/v1/storage.pb.h"

namespace loyalty::ledger {
namespace {

// Records rewritten per durable write.
constexpr int kRecordsPerWrite = 1000;

absl::Status FromRocks(const rocksdb::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(what, ": ", status.ToString()));
}

// Writes `batch` durably when it holds `records` or more, and empties it.
absl::Status WriteIfFull(rocksdb::DB& db, rocksdb::WriteBatch& batch, int* held,
                         int records) {
  if (*held < records) return absl::OkStatus();
  RETURN_IF_ERROR(FromRocks(db.Write(DurableWriteOptions(), &batch),
                            "seal member profiles"));
  batch.Clear();
  *held = 0;
  return absl::OkStatus();
}

// Stages the sealing of one member record that still holds personal fields.
absl::Status SealOne(rocksdb::DB& db, loyalty::v1::MemberRecord record,
                     rocksdb::WriteBatch& batch) {
  const loyalty::v1::MemberProfile& profile = record.profile();
  const std::string id =
      profile.member_id();  // a copy: the profile is replaced
  std::string key;
  const rocksdb::Status read =
      db.Get(VerifiedReadOptions(), keys::Aux(PersonalKeyRecord(id)), &key);
  if (read.IsNotFound()) key = RandomBytes(kProfileKeyBytes);
  if (!read.ok() && !read.IsNotFound())
    return FromRocks(read, "read a member key");
  batch.Put(keys::Aux(PersonalKeyRecord(id)), key);
  batch.Put(keys::Aux(SealedProfileRecord(id)),
            SealProfile(profile, id, key, RandomBytes(kProfileNonceBytes))
                .SerializeAsString());
  for (const std::string& index_key : IndexKeysOf(profile)) {
    batch.Put(keys::Aux(index_key), "");
  }
  record.set_birthday(BirthdayMonthDay(profile.birth_date()));
  *record.mutable_profile() = WithoutPersonal(profile);
  batch.Put(keys::Member(id), record.SerializeAsString());
  return absl::OkStatus();
}

absl::StatusOr<int> SealRecords(rocksdb::DB& db) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(VerifiedReadOptions()));
  rocksdb::WriteBatch batch(0, 0, kProtectionBytesPerKey, 0);
  int held = 0, sealed = 0;
  for (it->Seek(keys::kMemberPrefix);
       it->Valid() && it->key().starts_with(keys::kMemberPrefix); it->Next()) {
    loyalty::v1::MemberRecord record;
    if (!record.ParseFromArray(it->value().data(),
                               static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat(
          "member record ", it->key().ToString(), " does not parse"));
    }
    if (!HasPersonal(record.profile())) continue;
    RETURN_IF_ERROR(SealOne(db, std::move(record), batch));
    ++sealed;
    RETURN_IF_ERROR(WriteIfFull(db, batch, &++held, kRecordsPerWrite));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "read member records"));
  RETURN_IF_ERROR(WriteIfFull(db, batch, &held, 1));
  return sealed;
}

// Stages the stripped answer of one enrollment's request id, if it holds
// personal fields; true when it did.
absl::StatusOr<bool> StripAnswer(rocksdb::DB& db, const std::string& request_id,
                                 rocksdb::WriteBatch& batch) {
  std::string stored;
  const rocksdb::Status read =
      db.Get(VerifiedReadOptions(), keys::Request(request_id), &stored);
  if (read.IsNotFound()) return false;
  RETURN_IF_ERROR(FromRocks(read, "read an enrollment's answer"));
  loyalty::v1::IdempotencyRecord kept;
  loyalty::v1::EnrollMemberResponse answer;
  if (!kept.ParseFromString(stored) || kept.status_code() != 0 ||
      !answer.ParseFromString(kept.response()) ||
      !HasPersonal(answer.member())) {
    return false;
  }
  *answer.mutable_member() = WithoutPersonal(answer.member());
  kept.set_response(answer.SerializeAsString());
  batch.Put(keys::Request(request_id), kept.SerializeAsString());
  return true;
}

absl::StatusOr<int> StripEnrollAnswers(rocksdb::DB& db) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(VerifiedReadOptions()));
  rocksdb::WriteBatch batch(0, 0, kProtectionBytesPerKey, 0);
  int held = 0, stripped = 0;
  for (it->Seek(keys::kEntryPrefix);
       it->Valid() && it->key().starts_with(keys::kEntryPrefix); it->Next()) {
    loyalty::v1::JournalEntry entry;
    if (!entry.ParseFromArray(it->value().data(),
                              static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat(
          "journal entry ", it->key().ToString(true), " does not parse"));
    }
    if (entry.kind() != loyalty::v1::ENTRY_KIND_ENROLL) continue;
    ASSIGN_OR_RETURN(const bool changed,
                     StripAnswer(db, entry.request_id(), batch));
    if (!changed) continue;
    ++stripped;
    RETURN_IF_ERROR(WriteIfFull(db, batch, &++held, kRecordsPerWrite));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "read the journal"));
  RETURN_IF_ERROR(WriteIfFull(db, batch, &held, 1));
  return stripped;
}

}  // namespace

absl::Status SealMemberProfiles(
    rocksdb::DB& db, const std::function<void(absl::string_view)>& progress) {
  ASSIGN_OR_RETURN(const int sealed, SealRecords(db));
  ASSIGN_OR_RETURN(const int stripped, StripEnrollAnswers(db));
  progress(absl::StrCat("member profiles sealed: ", sealed,
                        "; enrollment answers stripped: ", stripped));
  return absl::OkStatus();
}

}  // namespace loyalty::ledger
