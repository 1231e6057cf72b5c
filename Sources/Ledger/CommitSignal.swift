import Synchronization

/// Tells followers that the log has grown.
///
/// The writer publishes the last committed position after every commit; a follower that has
/// read everything waits here until a later position is published or its poll interval passes
/// (the interval covers appends made by another process, which publish nothing here).
final class CommitSignal: Sendable {
    /// Where one wait stands. A wait is `started` until its continuation is stored; a timeout or
    /// cancellation arriving before then marks it `ended`, so it does not begin at all.
    private enum Waiter {
        case started
        case waiting(CheckedContinuation<Void, Never>)
        case ended
    }

    private struct State {
        var last: SequenceNumber = .zero
        var waiters: [UInt64: Waiter] = [:]
        var nextToken: UInt64 = 0
    }

    private let state = Mutex(State())

    /// The last position published.
    var last: SequenceNumber {
        state.withLock { $0.last }
    }

    /// Records that everything up to `sequence` is committed, and wakes every waiter.
    func publish(_ sequence: SequenceNumber) {
        let woken = state.withLock { state in
            state.last = max(state.last, sequence)
            var woken: [CheckedContinuation<Void, Never>] = []
            for (token, waiter) in state.waiters {
                if case .waiting(let continuation) = waiter {
                    woken.append(continuation)
                }
                state.waiters[token] = .ended
            }
            return woken
        }
        for continuation in woken {
            continuation.resume()
        }
    }

    /// Returns once a position after `sequence` is published, the timeout passes, or the task
    /// is cancelled, whichever comes first.
    func wait(after sequence: SequenceNumber, timeout: Duration) async {
        let token = state.withLock { state in
            defer { state.nextToken += 1 }
            state.waiters[state.nextToken] = .started
            return state.nextToken
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.end(token)
        }
        defer {
            timer.cancel()
            _ = state.withLock { $0.waiters.removeValue(forKey: token) }
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let proceed = state.withLock { state in
                    guard state.last <= sequence, case .started = state.waiters[token] else {
                        return true
                    }
                    state.waiters[token] = .waiting(continuation)
                    return false
                }
                if proceed {
                    continuation.resume()
                }
            }
        } onCancel: {
            end(token)
        }
    }

    private func end(_ token: UInt64) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiters[token] else {
                return nil
            }
            state.waiters[token] = .ended
            if case .waiting(let continuation) = waiter {
                return continuation
            }
            return nil
        }
        continuation?.resume()
    }
}
