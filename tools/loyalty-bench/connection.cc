#include "connection.h"

#include <chrono>

namespace loyalty_bench {

Connection::Connection(
    const std::string& target, int channels,
    std::vector<std::pair<std::string, std::string>> metadata)
    : metadata_(std::move(metadata)) {
  lanes_.resize(static_cast<size_t>(channels));
  for (int i = 0; i < channels; ++i) {
    grpc::ChannelArguments args;
    // Without a distinct argument, channels to one target share one
    // connection (the global subchannel pool).
    args.SetInt("loyalty_bench.lane", i);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(4 * 1024 * 1024);
    Lane& lane = lanes_[static_cast<size_t>(i)];
    lane.channel = grpc::CreateCustomChannel(
        target, grpc::InsecureChannelCredentials(), args);
    lane.checkout = loyalty::v1::Checkout::NewStub(lane.channel);
    lane.members = loyalty::v1::Members::NewStub(lane.channel);
    lane.generic = std::make_unique<grpc::GenericStub>(lane.channel);
  }
}

bool Connection::WaitConnected(absl::Duration timeout) {
  const auto deadline = absl::ToChronoTime(absl::Now() + timeout);
  for (Lane& lane : lanes_) {
    if (!lane.channel->WaitForConnected(deadline)) return false;
  }
  return true;
}

Connection::Lane& Connection::NextLane() {
  return lanes_[next_.fetch_add(1, std::memory_order_relaxed) % lanes_.size()];
}

loyalty::v1::Checkout::Stub& Connection::checkout() {
  return *NextLane().checkout;
}

loyalty::v1::Members::Stub& Connection::members() {
  return *NextLane().members;
}

grpc::GenericStub& Connection::generic() { return *NextLane().generic; }

void Connection::Prepare(double seconds, grpc::ClientContext* context) const {
  for (const auto& [name, value] : metadata_) context->AddMetadata(name, value);
  context->set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6)));
}

}  // namespace loyalty_bench
