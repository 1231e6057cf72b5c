extension EventLog {
    /// Follows the log: every event after `position`, then each new event as it is committed.
    ///
    /// The sequence ends only when the task iterating it is cancelled. Events appended through
    /// this `EventLog` arrive at once; events appended by another process arrive within
    /// ``Options/followPollInterval``. It throws ``LedgerError/Code/corrupt`` for an event that
    /// does not decode.
    public func follow(after position: SequenceNumber) -> EventFollower {
        EventFollower(log: self, position: position)
    }
}

/// The events of a log as they are committed; see ``EventLog/follow(after:)``.
public struct EventFollower: AsyncSequence, Sendable {
    /// An event.
    public typealias Element = Event

    let log: EventLog
    let position: SequenceNumber

    /// Starts after the position the follower was made with.
    public func makeAsyncIterator() -> Iterator {
        Iterator(log: log, position: position)
    }

    /// Reads pages after the last event delivered, waiting when it has caught up.
    public struct Iterator: AsyncIteratorProtocol {
        let log: EventLog
        var position: SequenceNumber
        var page: [Event] = []
        var index = 0

        /// The next event, waiting for one to be committed if need be; `nil` once the task is
        /// cancelled.
        public mutating func next() async throws -> Event? {
            while index == page.count {
                if Task.isCancelled {
                    return nil
                }
                page = try log.read(from: position.next, limit: 1024)
                index = 0
                if page.isEmpty {
                    // Limitation: another process's commits are noticed by this poll alone.
                    await log.commits.wait(after: position, timeout: log.followPollInterval)
                }
            }
            defer { index += 1 }
            position = page[index].sequence
            return page[index]
        }
    }
}
