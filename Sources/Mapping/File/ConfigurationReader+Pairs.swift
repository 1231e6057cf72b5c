import ADF
import Ledger
import Reconcile
import YAML

extension ConfigurationReader {
    mutating func pair(_ node: YAMLNode) -> PairDeclaration? {
        let what = "pair '\(node["name"]?.text ?? "?")'"
        guard
            let entries = mapping(
                node, node["name"]?.text == nil ? "a pair" : what,
                allowed: [
                    "name", "left", "right", "direction", "onDelete", "pollEvery", "filter",
                    "fields",
                ],
                required: ["name", "left", "right", "fields"])
        else {
            return nil
        }
        let name = entries["name"].flatMap { identifier($0, "the name of a pair") }
        let left = entries["left"].flatMap { recordSet($0, "the left of \(what)") }
        let right = entries["right"].flatMap { recordSet($0, "the right of \(what)") }
        let direction =
            entries["direction"].map {
                choice($0, "the direction of \(what)", SyncPair.Direction.self)
            } ?? .both
        let onDelete =
            entries["onDelete"].map {
                choice($0, "the onDelete of \(what)", PairDeclaration.DeletionPolicy.self)
            } ?? .ignore
        let pollEvery = entries["pollEvery"].flatMap { duration($0, "the pollEvery of \(what)") }
        var filters: [Side: RecordFilter] = [:]
        if let node = entries["filter"] {
            filters = filter(node, in: what)
        }
        var context = PairContext(
            name: what, left: left, right: right, direction: direction ?? .both)
        var fields: [FieldDeclaration] = []
        var derived: [DerivedDeclaration] = []
        if let node = entries["fields"],
            let list = sequence(node, "the fields of \(what)", of: "field mappings")
        {
            for element in list {
                switch field(element, in: &context) {
                case .mapped(let field)?: fields.append(field)
                case .derived(let field)?: derived.append(field)
                case nil: break
                }
            }
        }
        guard let name, let left, let right, let direction, let onDelete else {
            return nil
        }
        return PairDeclaration(
            name: name, left: left, right: right, direction: direction, onDelete: onDelete,
            pollEvery: pollEvery, filters: filters, fields: fields, derived: derived)
    }

    /// What a field entry needs to know of its pair.
    struct PairContext {
        let name: String
        let left: RecordSet?
        let right: RecordSet?
        let direction: SyncPair.Direction
        /// The fields mapped so far on each side, with where.
        var seen: [Side: [FieldName: YAMLNode]] = [.left: [:], .right: [:]]

        func records(on side: Side) -> RecordSet? {
            side == .left ? left : right
        }
    }

    enum FieldEntry {
        case mapped(FieldDeclaration)
        case derived(DerivedDeclaration)
    }

    /// `connection:recordType`, checked against the declared connections and their providers.
    mutating func recordSet(_ node: YAMLNode, _ what: String) -> RecordSet? {
        guard let text = string(node, what) else {
            return nil
        }
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            .map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            report(
                node, "\(what) is '\(text)'; expected connection:recordType, such as zendesk:ticket"
            )
            return nil
        }
        guard let declared = connections[parts[0]] else {
            var message = "\(what) names the connection '\(parts[0])', which is not declared"
            if let suggestion = Suggestion.nearest(parts[0], in: connections.keys.sorted()) {
                message += "; did you mean '\(suggestion)'?"
            } else if !connections.isEmpty {
                message += "; declared: \(connections.keys.sorted().joined(separator: ", "))"
            }
            report(node, message)
            return nil
        }
        guard let provider = declared else {
            // The connection's own problems are reported where it is declared.
            return nil
        }
        let types = provider.recordTypes
        guard types.contains(parts[1]) else {
            report(
                node,
                "\(what): a \(provider.rawValue) connection has no record type '\(parts[1])'; expected \(types.joined(separator: ", "))"
            )
            return nil
        }
        return RecordSet(connection: parts[0], recordType: parts[1])
    }

    /// `filter: {left: {status: [new, open]}}`: per side, each field and the values it may hold.
    mutating func filter(_ node: YAMLNode, in pair: String) -> [Side: RecordFilter] {
        guard
            let sides = mapping(
                node, "the filter of \(pair)", allowed: ["left", "right"], required: [])
        else {
            return [:]
        }
        var filters: [Side: RecordFilter] = [:]
        for side in Side.allCases {
            guard let node = sides[side.rawValue],
                let fields = mapping(node, "the \(side.rawValue) filter of \(pair)")
            else {
                continue
            }
            var conditions: [RecordFilter.Condition] = []
            for (key, value) in fields.entries {
                guard let field = string(key, "a field of the \(side.rawValue) filter of \(pair)")
                else {
                    continue
                }
                switch value.kind {
                case .sequence(let elements):
                    conditions.append(
                        RecordFilter.Condition(field: field, values: elements.map(\.value)))
                case .scalar:
                    conditions.append(RecordFilter.Condition(field: field, values: [value.value]))
                case .mapping:
                    report(
                        value,
                        "the filter on '\(field)' must be a value or a list of values, found a mapping"
                    )
                }
            }
            filters[side] = RecordFilter(conditions)
        }
        return filters
    }

    // MARK: - Fields

    mutating func field(_ node: YAMLNode, in pair: inout PairContext) -> FieldEntry? {
        let what = "a field of \(pair.name)"
        guard
            let entries = mapping(
                node, what,
                allowed: [
                    "left", "right", "authority", "values", "default", "reverse", "format",
                    "constant", "template",
                ],
                required: [])
        else {
            return nil
        }
        if entries["constant"] != nil || entries["template"] != nil {
            return derivedField(node, entries, in: &pair).map(FieldEntry.derived)
        }
        for side in Side.allCases where entries[side.rawValue] == nil {
            report(node, "\(what) is missing '\(side.rawValue)'")
        }
        var names: [Side: FieldName] = [:]
        for side in Side.allCases {
            if let node = entries[side.rawValue], let name = fieldName(node, side: side, in: &pair)
            {
                names[side] = name
            }
        }
        let authority =
            entries["authority"].flatMap { authorityRule($0, in: pair) } ?? .lastWriterWins
        var values = ValueMap()
        if let node = entries["values"] {
            values = valueMap(node, entries, names: names, authority: authority, in: pair)
        } else {
            for key in ["default", "reverse"] {
                if let node = entries[key] {
                    report(node, "'\(key)' belongs to a value map, and \(what) has no 'values'")
                }
            }
        }
        var formats: FieldFormats?
        if let node = entries["format"] {
            formats = fieldFormats(node, authority: authority, in: pair)
        }
        guard let left = names[.left], let right = names[.right] else {
            return nil
        }
        return .mapped(
            FieldDeclaration(
                left: left, right: right, authority: authority, values: values, formats: formats))
    }

    /// A field name: a plain string, or `{customField: Title}`. Reports a field mapped twice
    /// on one side of the pair.
    mutating func fieldName(_ node: YAMLNode, side: Side, in pair: inout PairContext) -> FieldName?
    {
        let name: FieldName
        if case .mapping = node.kind {
            guard
                let entries = mapping(
                    node, "a custom field name", allowed: ["customField"], required: ["customField"]
                ),
                let title = entries["customField"].flatMap({ string($0, "a custom field's title") })
            else {
                return nil
            }
            name = .custom(title)
        } else {
            guard let text = string(node, "the \(side.rawValue) field of \(pair.name)") else {
                return nil
            }
            name = .plain(text)
        }
        if let earlier = pair.seen[side]?[name] {
            report(
                node,
                "the \(side.rawValue) field \(name) of \(pair.name) is already mapped at \(earlier.position)"
            )
            return nil
        }
        pair.seen[side]?[name] = node
        return name
    }

    /// `owner:left`, `owner:<connection>`, `lastWriterWins`, `mergeSet`, `manual`.
    mutating func authorityRule(_ node: YAMLNode, in pair: PairContext) -> AuthorityRule? {
        guard let text = string(node, "the authority of a field of \(pair.name)") else {
            return nil
        }
        if let rule = AuthorityRule(text) {
            return rule
        }
        guard text.hasPrefix("owner:") else {
            let known = ["owner:left", "owner:right", "lastWriterWins", "mergeSet", "manual"]
            var message =
                "the authority '\(text)' is not one of owner:<side or connection>, lastWriterWins, mergeSet, manual"
            if let suggestion = Suggestion.nearest(text, in: known) {
                message += "; did you mean '\(suggestion)'?"
            }
            report(node, message)
            return nil
        }
        let owner = String(text.dropFirst("owner:".count))
        for side in Side.allCases where pair.records(on: side)?.connection == owner {
            if pair.left?.connection == pair.right?.connection {
                report(
                    node,
                    "the authority '\(text)' is ambiguous: both sides of \(pair.name) are \(owner); write owner:left or owner:right"
                )
                return nil
            }
            return .owner(side)
        }
        let sides = [pair.left, pair.right].compactMap { $0?.connection }
        report(
            node,
            "the authority '\(text)' names '\(owner)', which is not in \(pair.name); expected owner:left, owner:right"
                + sides.map { ", owner:\($0)" }.joined())
        return nil
    }

    mutating func fieldFormats(_ node: YAMLNode, authority: AuthorityRule, in pair: PairContext)
        -> FieldFormats?
    {
        guard
            let entries = mapping(
                node, "the format of a field of \(pair.name)", allowed: ["left", "right"],
                required: ["left", "right"])
        else {
            return nil
        }
        var formats: [Side: TextFormat] = [:]
        for side in Side.allCases {
            if let node = entries[side.rawValue],
                let format = choice(node, "the \(side.rawValue) format", TextFormat.self)
            {
                formats[side] = format
            }
        }
        guard let left = formats[.left], let right = formats[.right] else {
            return nil
        }
        let result = FieldFormats(left: left, right: right)
        for side in Side.allCases where !result.converts(from: side.opposite) {
            // Nothing can be written as HTML: only the HTML side may decide the field.
            if authority != .owner(side) {
                report(
                    node,
                    "the \(side.rawValue) side of this field is HTML, which can be read but not written, so the field cannot be carried back to it; make that side its owner (authority: owner:\(side.rawValue))"
                )
            }
        }
        return result
    }
}
