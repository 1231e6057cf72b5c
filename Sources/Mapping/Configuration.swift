import Ledger
import Reconcile

/// Everything a `syncledger.yaml` declares: the connections, and the pairs that keep their
/// records in step. ``ConfigurationFile`` reads one; `docs/configuration.md` describes it.
public struct Configuration: Sendable, Hashable {
    /// The connections, in the order written.
    public var connections: [Connection]
    /// The sync pairs, in the order written.
    public var pairs: [PairDeclaration]
    /// How failed requests are tried again; what is left out keeps the runtime's defaults.
    public var retry: RetrySettings

    /// Creates a configuration.
    public init(
        connections: [Connection], pairs: [PairDeclaration], retry: RetrySettings = RetrySettings()
    ) {
        self.connections = connections
        self.pairs = pairs
        self.retry = retry
    }

    /// The file's `retry` section: how a request that failed with a 5xx, a timeout or a broken
    /// connection is tried again. Each member left out keeps the runtime's default.
    public struct RetrySettings: Sendable, Hashable {
        /// The most attempts at one request, the first included.
        public var attempts: Int?
        /// The first backoff ceiling, doubling with each attempt.
        public var baseDelay: Duration?
        /// The largest backoff ceiling.
        public var maximumDelay: Duration?
        /// The most time spent waiting between the attempts of one request.
        public var maximumWait: Duration?

        /// Settings that keep every default.
        public init(
            attempts: Int? = nil, baseDelay: Duration? = nil, maximumDelay: Duration? = nil,
            maximumWait: Duration? = nil
        ) {
            self.attempts = attempts
            self.baseDelay = baseDelay
            self.maximumDelay = maximumDelay
            self.maximumWait = maximumWait
        }
    }

    /// The connection called `name`.
    public func connection(named name: String) -> Connection? {
        connections.first { $0.name == name }
    }

    /// The custom fields the pairs name, each once, in the order written: they must be
    /// resolved to their ids in each instance before the configuration is applied.
    public var customFields: [CustomFieldReference] {
        var references: [CustomFieldReference] = []
        for pair in pairs {
            for field in pair.fields {
                for side in Side.allCases {
                    if case .custom(let name) = field.name(on: side) {
                        let reference = CustomFieldReference(
                            connection: pair.records(on: side).connection, name: name)
                        if !references.contains(reference) {
                            references.append(reference)
                        }
                    }
                }
            }
            for derived in pair.derived {
                if case .custom(let name) = derived.field {
                    let reference = CustomFieldReference(
                        connection: pair.records(on: derived.side).connection, name: name)
                    if !references.contains(reference) {
                        references.append(reference)
                    }
                }
            }
        }
        return references
    }

    /// The configuration the projections apply, with every custom field replaced by its id
    /// from `ids`. A custom field without an id is an error naming it.
    public func syncConfiguration(
        resolving ids: [CustomFieldReference: String] = [:]
    ) throws(UnresolvedFieldError) -> SyncConfiguration {
        var pairs: [SyncPair] = []
        for pair in self.pairs {
            func resolve(_ name: FieldName, on side: Side) throws(UnresolvedFieldError) -> String {
                switch name {
                case .plain(let field):
                    return field
                case .custom(let title):
                    let reference = CustomFieldReference(
                        connection: pair.records(on: side).connection, name: title)
                    guard let id = ids[reference] else {
                        throw UnresolvedFieldError(reference: reference)
                    }
                    return id
                }
            }
            var fields: [FieldMapping] = []
            for field in pair.fields {
                fields.append(
                    FieldMapping(
                        left: try resolve(field.left, on: .left),
                        right: try resolve(field.right, on: .right), authority: field.authority,
                        values: field.values, formats: field.formats))
            }
            var derived: [DerivedField] = []
            for field in pair.derived {
                derived.append(
                    DerivedField(
                        side: field.side, field: try resolve(field.field, on: field.side),
                        source: field.source))
            }
            pairs.append(
                SyncPair(
                    name: pair.name, left: pair.left, right: pair.right,
                    direction: pair.direction, fields: fields, derived: derived,
                    filters: pair.filters, onDelete: pair.onDelete))
        }
        return SyncConfiguration(pairs: pairs)
    }
}

/// A custom field named by its title in one connection, to be resolved to its id there.
public struct CustomFieldReference: Sendable, Hashable, CustomStringConvertible {
    /// The connection's name.
    public var connection: String
    /// The field's title, as people see it.
    public var name: String

    /// Creates a reference.
    public init(connection: String, name: String) {
        self.connection = connection
        self.name = name
    }

    /// `the custom field 'Zendesk ticket' of jira`.
    public var description: String { "the custom field '\(name)' of \(connection)" }
}

/// A custom field that was not resolved before the configuration was applied.
public struct UnresolvedFieldError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field.
    public var reference: CustomFieldReference

    /// Says which field.
    public var description: String { "\(reference) has not been resolved to an id" }
}

/// One system the configuration talks to, and how.
public struct Connection: Sendable, Hashable {
    /// The connection's name, which pairs use.
    public var name: String
    /// The service.
    public var provider: Provider
    /// Where its API is, such as `https://example.zendesk.com`.
    public var baseURL: String
    /// How requests are authorised.
    public var auth: AuthKind
    /// The credential's name in the vault; never the secret itself.
    public var credential: String
    /// The Jira project key that issues are created in.
    public var project: String?
    /// The name in the vault of the secret that signs this connection's webhooks.
    public var webhookSecret: String?
    /// How often to poll for changes.
    public var pollEvery: Duration?

    /// Creates a connection.
    public init(
        name: String, provider: Provider, baseURL: String, auth: AuthKind, credential: String,
        project: String? = nil, webhookSecret: String? = nil, pollEvery: Duration? = nil
    ) {
        self.name = name
        self.provider = provider
        self.baseURL = baseURL
        self.auth = auth
        self.credential = credential
        self.project = project
        self.webhookSecret = webhookSecret
        self.pollEvery = pollEvery
    }

    /// A service SyncLedger speaks to.
    public enum Provider: String, Sendable, Hashable, CaseIterable {
        /// Zendesk Support.
        case zendesk
        /// Jira Cloud.
        case jira

        /// The record types the service has.
        public var recordTypes: [String] {
            switch self {
            case .zendesk: ["ticket"]
            case .jira: ["issue"]
            }
        }
    }

    /// How requests are authorised.
    public enum AuthKind: String, Sendable, Hashable, CaseIterable {
        /// OAuth 2.0 with the authorisation code flow; tokens in the vault.
        case oauth
        /// A long-lived API token in the vault.
        case apiToken
    }
}

/// A field as a configuration names it: by its name in the API, or, for a custom field, by
/// the title people see, which differs in id from one instance to the next.
public enum FieldName: Sendable, Hashable, CustomStringConvertible {
    /// A field by its API name, such as `subject` or `summary`.
    case plain(String)
    /// A custom field by its title, resolved per instance at run time.
    case custom(String)

    /// `subject`, or `customField 'Zendesk ticket'`.
    public var description: String {
        switch self {
        case .plain(let name): name
        case .custom(let title): "customField '\(title)'"
        }
    }

    /// The API name; `nil` for a custom field.
    public var plainName: String? {
        if case .plain(let name) = self { name } else { nil }
    }
}

/// A sync pair as the file declares it.
public struct PairDeclaration: Sendable, Hashable {
    /// The pair's name.
    public var name: String
    /// The records on the left.
    public var left: RecordSet
    /// The records on the right.
    public var right: RecordSet
    /// Which way records are created.
    public var direction: SyncPair.Direction
    /// What happens to a counterpart when a record is deleted.
    public var onDelete: DeletionPolicy
    /// How often to poll, where it differs from the connections'.
    public var pollEvery: Duration?
    /// Which records take part, per side.
    public var filters: [Side: RecordFilter]
    /// The mapped fields.
    public var fields: [FieldDeclaration]
    /// Fields written from constants or templates.
    public var derived: [DerivedDeclaration]

    /// The record set on `side`.
    public func records(on side: Side) -> RecordSet {
        side == .left ? left : right
    }

    /// What happens to the counterpart of a deleted record.
    public typealias DeletionPolicy = SyncPair.DeletionPolicy
}

/// A field mapping as the file declares it.
public struct FieldDeclaration: Sendable, Hashable {
    /// The field on the left.
    public var left: FieldName
    /// The field on the right.
    public var right: FieldName
    /// Who decides the field.
    public var authority: AuthorityRule
    /// Values spelled differently on each side.
    public var values: ValueMap
    /// The text formats on each side.
    public var formats: FieldFormats?

    /// The field on `side`.
    public func name(on side: Side) -> FieldName {
        side == .left ? left : right
    }
}

/// A constant or template field as the file declares it.
public struct DerivedDeclaration: Sendable, Hashable {
    /// The side it is written on.
    public var side: Side
    /// The field.
    public var field: FieldName
    /// Its constant or template.
    public var source: DerivedField.Source
}
