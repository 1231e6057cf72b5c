import Foundation
import Ledger
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Delivers webhook calls in the background, in order per emulator, retrying failed ones.
///
/// A delivery succeeds when the target answers 2xx. Anything else (another status, a refused
/// connection, a timeout) is retried after a pause that doubles each time, up to
/// `maximumAttempts`; then it is counted as failed and dropped, as providers do.
final class WebhookDispatcher: Sendable {
    /// One call to make.
    struct Delivery: Sendable {
        var url: String
        var headers: [(String, String)]
        var body: [UInt8]
    }

    /// What happened to deliveries so far.
    struct Tally: Sendable, Equatable {
        var delivered = 0
        var retried = 0
        var failed = 0
    }

    let maximumAttempts: Int
    let firstPause: Duration
    private let queue: AsyncStream<Delivery>.Continuation
    private let tally = TallyBox()

    /// The tally, and whether the dispatcher is gone, shared with the delivery task.
    private final class TallyBox: Sendable {
        let counts = Mutex(Tally())
        let stopped = Mutex(false)
    }

    init(maximumAttempts: Int = 5, firstPause: Duration = .milliseconds(200)) {
        self.maximumAttempts = maximumAttempts
        self.firstPause = firstPause
        let (stream, continuation) = AsyncStream<Delivery>.makeStream()
        queue = continuation
        let tally = self.tally
        let session = URLSession(configuration: .ephemeral)
        Task {
            for await delivery in stream {
                var pause = firstPause
                for attempt in 1...maximumAttempts {
                    guard !tally.stopped.withLock({ $0 }) else {
                        return
                    }
                    if await Self.send(delivery, session: session) {
                        tally.counts.withLock { $0.delivered += 1 }
                        break
                    }
                    guard attempt < maximumAttempts else {
                        tally.counts.withLock { $0.failed += 1 }
                        break
                    }
                    tally.counts.withLock { $0.retried += 1 }
                    try? await Task.sleep(for: pause)
                    guard !tally.stopped.withLock({ $0 }) else {
                        return
                    }
                    pause *= 2
                }
            }
        }
    }

    /// Stops delivering: what is queued is dropped, and a call under way ends on its own.
    ///
    /// The task is not cancelled. Cancelling a task while URLSession starts a request on its
    /// behalf can crash FoundationNetworking on Linux ("a task that is not in the registry").
    deinit {
        tally.stopped.withLock { $0 = true }
        queue.finish()
    }

    /// Queues `delivery`.
    func enqueue(_ delivery: Delivery) {
        queue.yield(delivery)
    }

    /// Deliveries made, retried and given up so far.
    var counts: Tally {
        tally.counts.withLock { $0 }
    }

    private static func send(_ delivery: Delivery, session: URLSession) async -> Bool {
        guard let url = URL(string: delivery.url) else {
            return false
        }
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.httpBody = Data(delivery.body)
        for (name, value) in delivery.headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        guard let (_, response) = try? await session.data(for: request),
            let status = (response as? HTTPURLResponse)?.statusCode
        else {
            return false
        }
        return (200..<300).contains(status)
    }
}
