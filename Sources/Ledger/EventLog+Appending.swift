import Dispatch
import Synchronization

extension EventLog {
    /// Appends a batch of events in one transaction and returns where each one stands.
    ///
    /// Returns after the batch is committed to disk. Concurrent appends share commits, so
    /// many callers appending one event each do not wait for one disk sync apiece. An event
    /// whose id is already in the log is not appended again: its result carries the original
    /// position and `isNew == false`.
    ///
    /// Throws ``LedgerError``: ``LedgerError/Code/versionConflict`` when a record is not at the
    /// batch's expected version (nothing is appended), ``LedgerError/Code/invalidEvent`` for an
    /// event that cannot be stored, ``LedgerError/Code/closed`` after ``close()``.
    @discardableResult
    public func append(_ batch: AppendBatch) async throws -> [AppendedEvent] {
        let writer = try requireWriter()
        return try await withCheckedThrowingContinuation { continuation in
            writer.submit(
                LogWriter.Request(batch: batch) { outcome in
                    continuation.resume(with: outcome)
                })
        }
    }

    /// Appends events as one batch; see ``append(_:)-(AppendBatch)``.
    @discardableResult
    public func append(_ events: [NewEvent]) async throws -> [AppendedEvent] {
        try await append(AppendBatch(events))
    }

    /// Appends a batch, blocking the calling thread until it is durable.
    ///
    /// For command-line tools and threads outside Swift concurrency; asynchronous code should
    /// call ``append(_:)-(AppendBatch)`` so as not to block a cooperative thread.
    @discardableResult
    public func appendWaiting(_ batch: AppendBatch) throws -> [AppendedEvent] {
        let writer = try requireWriter()
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<[AppendedEvent], any Error>?>(nil)
        writer.submit(
            LogWriter.Request(batch: batch) { result in
                outcome.withLock { $0 = result }
                done.signal()
            })
        done.wait()
        return try outcome.withLock { $0! }.get()
    }

    private func requireWriter() throws -> LogWriter {
        guard let writer else {
            throw LedgerError(
                .invalidEvent,
                "the ledger at \(path) was opened read-only and cannot be appended to")
        }
        return writer
    }
}
