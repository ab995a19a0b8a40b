// feedback record: a survey answer (NPS, CSAT, CES) through
// loyalty.v1.Program.RecordFeedback.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "args.h"
#include "client.h"
#include "commands.h"
#include "loyalty/v1/program.grpc.pb.h"
#include "output.h"

namespace loyaltyctl {
namespace {

using loyalty::v1::Feedback;

std::string OrDash(const std::string& text) {
  return text.empty() ? "-" : text;
}

absl::Status SetSurveyAndChannel(const ParsedFlags& flags, Feedback* feedback) {
  const std::string survey = flags.Get("survey");
  if (survey == "nps") {
    feedback->set_survey(loyalty::v1::SURVEY_KIND_NPS);
  } else if (survey == "csat") {
    feedback->set_survey(loyalty::v1::SURVEY_KIND_CSAT);
  } else if (survey == "ces") {
    feedback->set_survey(loyalty::v1::SURVEY_KIND_CES);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--survey must be nps, csat or ces, got '", survey, "'"));
  }
  const std::string channel = flags.Get("channel");
  if (channel == "pos") {
    feedback->set_channel(loyalty::v1::CHANNEL_POS);
  } else if (channel == "eshop") {
    feedback->set_channel(loyalty::v1::CHANNEL_ESHOP);
  } else if (!channel.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--channel must be pos or eshop, got '", channel, "'"));
  }
  return absl::OkStatus();
}

// Checks the syntax only; the server judges the score against the survey's
// scale and the reason against the rule set's list, and names the field.
absl::StatusOr<Feedback> BuildFeedback(const ParsedFlags& flags) {
  Feedback feedback;
  if (absl::Status status = SetSurveyAndChannel(flags, &feedback);
      !status.ok()) {
    return status;
  }
  int32_t score = 0;
  if (!absl::SimpleAtoi(flags.Get("score"), &score)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--score must be an integer, got '", flags.Get("score"), "'"));
  }
  feedback.set_score(score);
  feedback.set_member_id(flags.Get("member"));
  feedback.set_order_id(flags.Get("order"));
  feedback.set_reason_code(flags.Get("reason"));
  feedback.set_store_id(flags.Get("store"));
  feedback.set_partner_id(flags.Get("partner"));
  return feedback;
}

int RunRecord(const Invocation& invocation) {
  absl::StatusOr<Feedback> feedback = BuildFeedback(invocation.flags);
  if (!feedback.ok()) return UsageError(invocation, feedback.status());
  loyalty::v1::RecordFeedbackRequest request;
  *request.mutable_feedback() = *std::move(feedback);
  request.set_request_id(RequestIdFor(invocation));
  loyalty::v1::RecordFeedbackResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      loyalty::v1::Program::NewStub(MakeChannel(invocation.global))
          ->RecordFeedback(&context, request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  const Feedback& recorded = request.feedback();
  PrintKeyValues({
      {"transaction", response.transaction_id()},
      {"survey", invocation.flags.Get("survey")},
      {"score", absl::StrCat(recorded.score())},
      {"member", OrDash(recorded.member_id())},
      {"order", OrDash(recorded.order_id())},
      {"reason", OrDash(recorded.reason_code())},
  });
  return 0;
}

}  // namespace

std::vector<CommandSpec> FeedbackCommands() {
  return {
      {"feedback",
       "record",
       "",
       "",
       "Record a survey answer: NPS (0-10), CSAT (1-5) or CES (1-7).",
       {{"survey", "nps|csat|ces",
         "nps: how likely to recommend, 0..10. csat: satisfaction, 1..5. "
         "ces: effort, 1 (very easy) .. 7.",
         "--survey nps", true},
        {"score", "N", "The answer, on the survey's scale.", "--score 9", true},
        {"member", "ID",
         "The member who answered; omit for an anonymous "
         "answer.",
         "--member card-0042"},
        {"order", "ORDER", "The order the answer is about.",
         "--order T7-000123"},
        {"channel", "pos|eshop", "Where the answer was given.",
         "--channel pos"},
        {"reason", "CODE", "Reason code from the rule set's list, UPPER_SNAKE.",
         "--reason SLOW_CHECKOUT"},
        {"store", "S", "Store id.", "--store paris-07"},
        {"partner", "P", "Coalition partner.", "--partner fuelco"},
        {"request-id", "R",
         "Idempotency key: the same id with the same answer records it "
         "once. Default: 16 random hex characters, printed so you can "
         "retry.",
         "--request-id survey-T7-000123"}},
       "loyaltyctl feedback record --survey nps --score 9 --member card-0042 "
       "--order T7-000123 --channel pos",
       RunRecord},
  };
}

}  // namespace loyaltyctl
