import Engine
import Ledger

extension StatusCommand {
    /// The status as `--json` prints it; docs/cli.md lists every member.
    static func value(of status: LedgerStatus, ledger: String) -> Value {
        let now = status.takenAt
        func time(_ time: Timestamp?) -> Value {
            time.map { .string($0.description) } ?? .null
        }
        func ago(_ time: Timestamp?) -> Value {
            time.map { .integer((now.microseconds - $0.microseconds) / 1_000_000) } ?? .null
        }

        var connections: [Value] = []
        for connection in status.connections {
            var object: ValueObject = [
                "name": .string(connection.name),
                "provider": connection.provider.map { .string($0) } ?? .null,
                "state": connection.pause == nil ? "active" : "paused",
                "lastPoll": time(connection.lastPoll),
                "lastPollSecondsAgo": ago(connection.lastPoll),
                "cursor": connection.cursor.map { .string($0) } ?? .null,
                "webhookEvents": .integer(Int64(connection.webhookEvents)),
                "lastWebhook": time(connection.lastWebhook),
                "quarantined": .integer(Int64(connection.quarantined)),
                "lastRefusal": connection.lastQuarantined.map {
                    ["reason": .string($0.reason), "at": time($0.at)]
                } ?? .null,
                "pendingIntents": .integer(Int64(connection.pendingIntents)),
                "oldestPending": time(connection.oldestPending),
                "failures": .integer(Int64(connection.failures)),
                "lastFailure": connection.lastFailure.map {
                    [
                        "error": .string($0.error), "at": time($0.at),
                        "event": .integer(Int64($0.event.rawValue)),
                    ]
                } ?? .null,
            ]
            object["budget"] =
                connection.budget.map { budget in
                    [
                        "remaining": .integer(Int64(budget.remaining)),
                        "limit": budget.limit.map { .integer(Int64($0)) } ?? .null,
                        "resetsAt": time(budget.resetsAt), "observedAt": time(budget.observedAt),
                        "secondsAgo": ago(budget.observedAt),
                    ]
                } ?? .null
            object["pause"] =
                connection.pause.map { pause in
                    [
                        "reason": .string(pause.reason), "command": .string(pause.command),
                        "since": time(pause.since),
                        "event": pause.event.map { .integer(Int64($0.rawValue)) } ?? .null,
                    ]
                } ?? .null
            connections.append(.object(object))
        }

        return [
            "ledger": .string(ledger), "takenAt": time(now),
            "lastSequence": .integer(Int64(status.lastSequence.rawValue)),
            "configuration": status.configuration.map { applied in
                [
                    "file": .string(applied.file), "digest": .string(applied.digest),
                    "appliedAt": time(applied.appliedAt),
                    "event": .integer(Int64(applied.event.rawValue)),
                ]
            } ?? .null,
            "lastPass": time(status.lastPass), "lastPassSecondsAgo": ago(status.lastPass),
            "connections": .array(connections),
            "quarantinedElsewhere": .integer(Int64(status.quarantinedElsewhere)),
        ]
    }
}
