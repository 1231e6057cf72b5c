import Ledger

/// A JQL query in the subset the emulator understands: clauses joined by `AND`, then an
/// optional `ORDER BY`.
///
/// Fields: `project`, `key`/`issuekey`, `updated`/`created` (also `updatedDate`/`createdDate`),
/// `status`, `priority`, `issuetype`/`type`, `labels`, and the text fields `summary`,
/// `"Zendesk ticket"`/`cf[10100]` with `~`. Sort keys: `updated`, `created`, `key`.
///
/// Limitation: `OR`, `NOT`, parentheses around clauses, functions such as `currentUser()`,
/// `WAS`/`CHANGED` and history searches are refused with a parse error, though Jira accepts
/// them. Text search (`~`) matches a case-insensitive substring, not Jira's word index.
struct JiraQuery: Sendable {
    /// One `field operator operand` restriction.
    struct Clause: Sendable {
        let field: Field
        let fieldName: String
        let comparison: Comparison
        let operands: [String]
    }

    /// The fields a clause may name.
    enum Field: Sendable {
        case project, key, updated, created, status, priority, issueType, labels, summary
        case customText(String)
    }

    /// An operator between a field and its operands.
    enum Comparison: String, Sendable {
        case equal = "="
        case notEqual = "!="
        case greater = ">"
        case greaterOrEqual = ">="
        case less = "<"
        case lessOrEqual = "<="
        case contains = "~"
        case notContains = "!~"
        case `in` = "in"
        case notIn = "not in"
        case isEmpty = "is"
        case isNotEmpty = "is not"
    }

    /// A sort key and its direction.
    struct Ordering: Sendable {
        enum Key: Sendable { case updated, created, key }
        let key: Key
        let ascending: Bool
    }

    let clauses: [Clause]
    let ordering: [Ordering]

    /// Whether the query restricts the search at all; Jira refuses queries that do not.
    var isBounded: Bool { !clauses.isEmpty }

    /// Why a query cannot be run, in Jira's words.
    struct Problem: Error, Sendable {
        let message: String
    }

    // MARK: - Parsing

    /// Parses `text`.
    ///
    /// - Throws: ``Problem`` saying what was expected and where, as Jira words it.
    init(parsing text: String) throws(Problem) {
        var parser = try Parser(text)
        (clauses, ordering) = try parser.query()
    }

    private struct Token {
        enum Kind: Equatable { case word, quoted, symbol, end }
        let kind: Kind
        let text: String
        /// Where the token starts: a 1-based line and character.
        let line: Int
        let column: Int

        /// The word in lower case, for keywords.
        var keyword: String { kind == .word ? text.lowercased() : "" }

        var printed: String { kind == .end ? "EOF" : text }
    }

    private struct Parser {
        private let tokens: [Token]
        private var index = 0

        init(_ text: String) throws(Problem) {
            tokens = try Self.tokenize(text)
        }

        private static let symbols: Set<Character> = ["=", "!", "<", ">", "~", "(", ")", ","]

        private static func tokenize(_ text: String) throws(Problem) -> [Token] {
            var tokens: [Token] = []
            let characters = Array(text)
            var index = 0
            var line = 1
            var lineStart = 0
            while index < characters.count {
                let character = characters[index]
                let column = index - lineStart + 1
                if character == "\n" {
                    line += 1
                    lineStart = index + 1
                    index += 1
                } else if character.isWhitespace {
                    index += 1
                } else if character == "\"" || character == "'" {
                    var value = ""
                    index += 1
                    while index < characters.count, characters[index] != character {
                        if characters[index] == "\\", index + 1 < characters.count {
                            index += 1
                        }
                        value.append(characters[index])
                        index += 1
                    }
                    guard index < characters.count else {
                        throw Problem(
                            message: "Error in the JQL Query: The quoted string starting at "
                                + "this position is not terminated. (line \(line), character "
                                + "\(column))")
                    }
                    index += 1
                    tokens.append(Token(kind: .quoted, text: value, line: line, column: column))
                } else if symbols.contains(character) {
                    var symbol = String(character)
                    if index + 1 < characters.count, "=~".contains(characters[index + 1]),
                        "!<>".contains(character)
                    {
                        symbol.append(characters[index + 1])
                    }
                    index += symbol.count
                    tokens.append(Token(kind: .symbol, text: symbol, line: line, column: column))
                } else {
                    var word = ""
                    while index < characters.count, !characters[index].isWhitespace,
                        !symbols.contains(characters[index]), characters[index] != "\"",
                        characters[index] != "'"
                    {
                        word.append(characters[index])
                        index += 1
                    }
                    tokens.append(Token(kind: .word, text: word, line: line, column: column))
                }
            }
            let column = characters.count - lineStart + 1
            tokens.append(Token(kind: .end, text: "", line: line, column: column))
            return tokens
        }

        private var current: Token { tokens[index] }

        private func problem(_ text: String, at token: Token) -> Problem {
            let place = "(line \(token.line), character \(token.column))"
            return Problem(message: "Error in the JQL Query: \(text) \(place)")
        }

        private func expecting(_ what: String) -> Problem {
            problem("Expecting \(what) but got '\(current.printed)'.", at: current)
        }

        mutating func query() throws(Problem) -> ([Clause], [Ordering]) {
            var clauses: [Clause] = []
            if current.kind != .end && current.keyword != "order" {
                clauses.append(try clause())
                while current.kind != .end && current.keyword != "order" {
                    switch current.keyword {
                    case "and":
                        index += 1
                        clauses.append(try clause())
                    case "or":
                        throw problem(
                            "'OR' is not supported by the sandbox's JQL subset; use AND.",
                            at: current)
                    default:
                        throw expecting("either 'OR' or 'AND'")
                    }
                }
            }
            var ordering: [Ordering] = []
            if current.keyword == "order" {
                index += 1
                guard current.keyword == "by" else {
                    throw expecting("'BY'")
                }
                index += 1
                ordering.append(try orderingKey())
                while current.kind == .symbol && current.text == "," {
                    index += 1
                    ordering.append(try orderingKey())
                }
            }
            guard current.kind == .end else {
                throw expecting(ordering.isEmpty ? "either 'OR' or 'AND'" : "',' or end of query")
            }
            return (clauses, ordering)
        }

        private mutating func orderingKey() throws(Problem) -> Ordering {
            let token = current
            guard token.kind == .word || token.kind == .quoted else {
                throw expecting("a field name")
            }
            let key: Ordering.Key
            switch token.text.lowercased() {
            case "updated", "updateddate": key = .updated
            case "created", "createddate": key = .created
            case "key", "issuekey", "id": key = .key
            default:
                throw Problem(message: "Not able to sort using field '\(token.text)'.")
            }
            index += 1
            var ascending = true
            if current.keyword == "asc" || current.keyword == "desc" {
                ascending = current.keyword == "asc"
                index += 1
            }
            return Ordering(key: key, ascending: ascending)
        }

        private mutating func clause() throws(Problem) -> Clause {
            let start = current
            switch start.kind {
            case .word where start.keyword == "not":
                throw problem("'NOT' is not supported by the sandbox's JQL subset.", at: start)
            case .word where ["order", "and", "or"].contains(start.keyword):
                throw expecting("a field name")
            case .symbol where start.text == "(":
                throw problem(
                    "Parentheses are not supported by the sandbox's JQL subset.", at: start)
            case .word, .quoted:
                break
            default:
                throw expecting("a field name")
            }
            let field = try Self.field(start)
            index += 1
            let comparison = try self.comparison()
            var operands: [String] = []
            switch comparison {
            case .isEmpty, .isNotEmpty:
                guard current.keyword == "empty" || current.keyword == "null" else {
                    throw expecting("'EMPTY' or 'NULL'")
                }
                index += 1
            case .in, .notIn:
                guard current.text == "(" && current.kind == .symbol else {
                    throw expecting("'('")
                }
                index += 1
                operands.append(try operand())
                while current.text == "," && current.kind == .symbol {
                    index += 1
                    operands.append(try operand())
                }
                guard current.text == ")" && current.kind == .symbol else {
                    throw expecting("either ',' or ')'")
                }
                index += 1
            default:
                operands.append(try operand())
            }
            return Clause(
                field: field, fieldName: start.text, comparison: comparison, operands: operands)
        }

        private mutating func comparison() throws(Problem) -> Comparison {
            let token = current
            if token.kind == .symbol, let comparison = Comparison(rawValue: token.text) {
                index += 1
                return comparison
            }
            switch token.keyword {
            case "in":
                index += 1
                return .in
            case "not":
                index += 1
                guard current.keyword == "in" else {
                    throw expecting("'IN'")
                }
                index += 1
                return .notIn
            case "is":
                index += 1
                if current.keyword == "not" {
                    index += 1
                    return .isNotEmpty
                }
                return .isEmpty
            case "was", "changed":
                throw problem(
                    "'\(token.text)' is not supported by the sandbox's JQL subset.", at: token)
            default:
                throw expecting("operator")
            }
        }

        private mutating func operand() throws(Problem) -> String {
            let token = current
            guard token.kind == .word || token.kind == .quoted else {
                throw expecting("either a value, list or function")
            }
            index += 1
            if token.kind == .word && current.text == "(" && current.kind == .symbol {
                throw problem(
                    "Functions such as '\(token.text)()' are not supported by the sandbox's "
                        + "JQL subset.", at: token)
            }
            return token.text
        }

        private static func field(_ token: Token) throws(Problem) -> Field {
            switch token.text.lowercased() {
            case "project": return .project
            case "key", "issuekey", "id": return .key
            case "updated", "updateddate": return .updated
            case "created", "createddate": return .created
            case "status": return .status
            case "priority": return .priority
            case "issuetype", "type": return .issueType
            case "labels": return .labels
            case "summary": return .summary
            default:
                for field in JiraCatalog.fields where field.kind == .text {
                    let clauseNames = ["cf[\(field.customID ?? 0)]", field.name.lowercased()]
                    if clauseNames.contains(token.text.lowercased()) {
                        return .customText(field.id)
                    }
                }
                throw Problem(
                    message:
                        "Field '\(token.text)' does not exist or you do not have permission to "
                        + "view it.")
            }
        }
    }
}
