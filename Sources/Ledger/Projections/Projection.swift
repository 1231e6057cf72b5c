/// A pure fold over the log, kept in a ``ProjectionStore``.
///
/// A projection reads nothing but the events it is given and its own tables: no clock, no
/// randomness, no network, and nothing that depends on the iteration order of a hash map. So
/// the same events always leave the same bytes in its tables, which is what lets a replay
/// prove a live store right.
public protocol Projection: Sendable {
    /// A name and version for the fold, stored with its tables. Change it whenever the meaning
    /// or layout of the tables changes: a store built under another identity is refused.
    var identity: String { get }

    /// The tables the projection keeps.
    var tableNames: [String] { get }

    /// Applies `events`, in log order, to `tables`.
    ///
    /// The events arrive in batches that share one transaction; where a batch ends must not
    /// change the result. Throwing rolls the whole batch back, checkpoint included.
    func apply(_ events: [Event], to tables: borrowing ProjectionTables) throws
}

/// Keeps a projection's store in step with the log.
public struct Projector<P: Projection>: Sendable {
    /// The log the projection folds.
    public let log: EventLog
    /// Where its state lives.
    public let store: ProjectionStore
    /// The fold.
    public let projection: P
    /// The most events applied in one transaction.
    public var batchSize: Int

    /// Creates a projector for `projection` over `log`, kept in `store`.
    public init(log: EventLog, store: ProjectionStore, projection: P, batchSize: Int = 4096) {
        precondition(store.identity == projection.identity, "the store belongs to another fold")
        self.log = log
        self.store = store
        self.projection = projection
        self.batchSize = batchSize
    }

    /// Applies every event after the store's checkpoint, up to `limit` (inclusive) when one is
    /// given, and returns the new checkpoint. `progress` hears the checkpoint after each batch.
    ///
    /// An event that does not decode stops the catch-up with ``LedgerError/Code/corrupt``
    /// naming it, and the store keeps the checkpoint it had before the batch that holds it: a
    /// projection never skips what it cannot read.
    @discardableResult
    public func catchUp(
        until limit: SequenceNumber? = nil,
        progress: (SequenceNumber) -> Void = { _ in }
    ) throws -> SequenceNumber {
        var checkpoint = try store.checkpoint()
        while limit.map({ checkpoint < $0 }) ?? true {
            var events = try log.read(from: checkpoint.next, limit: batchSize)
            if let limit {
                events.removeAll { $0.sequence > limit }
            }
            guard let last = events.last?.sequence else {
                break
            }
            let applied: Void? = try store.write(advancingFrom: checkpoint, to: last) { tables in
                try projection.apply(events, to: tables)
            }
            // Another process may keep the same store; when it moved first, go on from there.
            checkpoint = applied == nil ? try store.checkpoint() : last
            progress(checkpoint)
        }
        return checkpoint
    }

    /// Catches up, then applies new events as they are committed, until the task is
    /// cancelled. Events committed together are applied in one transaction; events appended by
    /// another process are noticed within the log's follow poll interval.
    public func keepUp() async throws {
        while !Task.isCancelled {
            let checkpoint = try catchUp()
            await log.commits.wait(after: checkpoint, timeout: log.followPollInterval)
        }
    }
}
