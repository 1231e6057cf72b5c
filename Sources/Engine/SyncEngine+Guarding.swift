import Connectors
import Ledger
import Reconcile

/// An update not made because a person changed the record after the state it was planned
/// from; the change, read afresh, goes into the log and through authority.
struct ConcurrentEdit: Error, CustomStringConvertible {
    /// The record as it is now, to be recorded.
    let observation: NewEvent

    var description: String {
        "not written: \(observation.record.map(String.init(describing:)) ?? "the record") was "
            + "changed after the state this write was planned from; the change is recorded and "
            + "decided by the pair's rules"
    }
}

extension SyncEngine {
    /// Updates a Zendesk ticket only if it has not changed since the ledger last saw it: a
    /// safe update stamped with the latest upstream time the ledger holds for it.
    ///
    /// When Zendesk refuses, the ticket is read again. If a field the ledger tracks changed,
    /// the write is not made (``ConcurrentEdit``): the change becomes an observation and the
    /// next round plans from it. If only something the ledger does not track changed (a
    /// comment), the write is made once more, stamped with the fresh time.
    ///
    /// A ticket deleted meanwhile rethrows the refusal, which records the write as failed.
    func guardedUpdate(_ write: PlannedWrite, in zendesk: ZendeskConnector) async throws
        -> [NewEvent]
    {
        let stamp = try updateStamp(of: write)
        do {
            return try await zendesk.update(
                write.record.remoteID, write.intent.fields, unchangedSince: stamp)
        } catch let refused as ConcurrentChange {
            return try await updateAfterCollision(write, refused, in: zendesk)
        }
    }

    /// The time a safe update of `write`'s record is stamped with: the latest upstream time
    /// the ledger holds for any of its fields.
    func updateStamp(of write: PlannedWrite) throws -> Timestamp? {
        try SyncQueries(store).lastChanged(write.record)
    }

    /// Settles a safe update of `write` that Zendesk refused: reads the ticket again, and
    /// either records the tracked change that made it refuse (``ConcurrentEdit``) or makes the
    /// write once more, stamped with the fresh time.
    func updateAfterCollision(
        _ write: PlannedWrite, _ refused: ConcurrentChange, in zendesk: ZendeskConnector
    ) async throws -> [NewEvent] {
        let id = write.record.remoteID
        guard var fresh = try await zendesk.ticket(id) else {
            // Deleted meanwhile: the deletion reaches the log by the next poll.
            throw refused
        }
        if case .object(var body) = fresh.body {
            body["source"] = "guardedUpdate"
            fresh.body = .object(body)
        }
        let known = try SyncQueries(store).record(write.record) ?? RecordState()
        let now = fresh.body["fields"]?.objectValue ?? ValueObject()
        let changed = known.fields.contains { name, field in
            !EchoRule.matches(now[name], field.value)
        }
        guard !changed else {
            throw ConcurrentEdit(observation: fresh)
        }
        return try await zendesk.update(id, write.intent.fields, unchangedSince: fresh.upstreamAt)
    }
}
