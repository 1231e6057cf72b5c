import Ledger

/// Checks Atlassian Document Format documents against the node shapes of ADF version 1, as
/// Jira checks a rich-text field before storing it.
///
/// The check is structural: node types, which children each node may hold, required and
/// allowed attributes, and marks on text. It stops at the first problem and names its JSON
/// path (`content[1].content[0]: text must not be empty`).
///
/// Limitation: media, tables' fragment marks, extensions, task and decision lists, expands,
/// cards other than `inlineCard`, and block marks (alignment, indentation, breakout) are
/// refused as unknown, although the full schema allows them; the sandbox has no use for them.
struct ADFValidator {
    /// Why a document is not valid ADF: where the problem is and what it is.
    struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The JSON path of the offending value, such as `content[0].attrs.level`; empty for
        /// the document itself.
        let path: String
        /// What is wrong there.
        let reason: String

        var description: String {
            path.isEmpty ? reason : "\(path): \(reason)"
        }
    }

    /// Block nodes the validator knows, each with the children it may hold.
    static let blockTypes: Set<String> = [
        "paragraph", "heading", "bulletList", "orderedList", "listItem", "codeBlock",
        "blockquote", "rule", "panel", "table", "tableRow", "tableCell", "tableHeader",
    ]

    /// Inline nodes the validator knows.
    static let inlineTypes: Set<String> = ["text", "hardBreak", "mention", "emoji", "inlineCard"]

    /// Marks text may carry.
    static let markTypes: Set<String> = [
        "strong", "em", "code", "strike", "underline", "link", "subsup", "textColor",
    ]

    private static let topLevel: Set<String> = [
        "paragraph", "heading", "bulletList", "orderedList", "codeBlock", "blockquote", "rule",
        "panel", "table",
    ]
    private static let listItemFirst: Set<String> = ["paragraph", "codeBlock"]
    private static let listItemRest: Set<String> = [
        "paragraph", "codeBlock", "bulletList", "orderedList",
    ]
    private static let panelContent: Set<String> = [
        "paragraph", "heading", "bulletList", "orderedList",
    ]
    private static let tableCellContent: Set<String> = [
        "paragraph", "heading", "bulletList", "orderedList", "codeBlock", "blockquote", "rule",
        "panel",
    ]
    private static let panelTypes: Set<String> = [
        "info", "note", "tip", "warning", "error", "success", "custom",
    ]

    /// Checks that `document` is an ADF version 1 document.
    ///
    /// - Throws: ``Problem`` naming the first invalid value's path.
    static func validate(_ document: Value) throws(Problem) {
        guard case .object(let root) = document else {
            throw Problem(path: "", reason: "the document must be a JSON object")
        }
        try onlyMembers(root, ["version", "type", "content"], path: "")
        guard root["type"] == "doc" else {
            throw Problem(path: "type", reason: "the document's type must be \"doc\"")
        }
        guard root["version"] == 1 else {
            throw Problem(path: "version", reason: "version must be 1")
        }
        let content = try children(of: root, path: "", required: true, nonEmpty: false)
        for (index, child) in content.enumerated() {
            try block(child, path: "content[\(index)]", allowed: topLevel, parent: "doc")
        }
    }

    /// Whether `document` is valid ADF.
    static func isValid(_ document: Value) -> Bool {
        do {
            try validate(document)
            return true
        } catch {
            return false
        }
    }

    // MARK: - Blocks

    private static func block(
        _ value: Value, path: String, allowed: Set<String>, parent: String
    ) throws(Problem) {
        let (node, type) = try typedNode(value, path: path)
        guard blockTypes.contains(type) || inlineTypes.contains(type) else {
            throw Problem(path: path, reason: "unknown node type '\(type)'")
        }
        guard allowed.contains(type) else {
            throw Problem(path: path, reason: "'\(type)' is not allowed inside '\(parent)'")
        }
        switch type {
        case "paragraph":
            try onlyMembers(node, ["type", "content", "marks"], path: path)
            try noBlockMarks(node, path: path)
            try inlineChildren(of: node, path: path, parent: type)
        case "heading":
            try onlyMembers(node, ["type", "content", "marks", "attrs"], path: path)
            try noBlockMarks(node, path: path)
            let attributes = try attrs(of: node, path: path, required: true, allowed: ["level"])
            guard let level = attributes["level"]?.integerValue, (1...6).contains(level) else {
                throw Problem(path: path + ".attrs.level", reason: "level must be 1 to 6")
            }
            try inlineChildren(of: node, path: path, parent: type)
        case "bulletList", "orderedList":
            try onlyMembers(node, ["type", "content", "attrs"], path: path)
            if type == "orderedList" {
                let attributes = try attrs(
                    of: node, path: path, required: false, allowed: ["order"])
                if let order = attributes["order"], (order.integerValue ?? -1) < 0 {
                    throw Problem(
                        path: path + ".attrs.order", reason: "order must be a whole number >= 0")
                }
            } else if node["attrs"] != nil {
                throw Problem(path: path, reason: "unexpected member 'attrs'")
            }
            try blockChildren(of: node, path: path, parent: type, allowed: ["listItem"])
        case "listItem":
            try onlyMembers(node, ["type", "content"], path: path)
            let content = try children(of: node, path: path, required: true, nonEmpty: true)
            for (index, child) in content.enumerated() {
                try block(
                    child, path: "\(path).content[\(index)]",
                    allowed: index == 0 ? listItemFirst : listItemRest, parent: type)
            }
        case "codeBlock":
            try onlyMembers(node, ["type", "content", "marks", "attrs"], path: path)
            try noBlockMarks(node, path: path)
            let attributes = try attrs(of: node, path: path, required: false, allowed: ["language"])
            if let language = attributes["language"], language.stringValue == nil {
                throw Problem(path: path + ".attrs.language", reason: "language must be a string")
            }
            let content = try children(of: node, path: path, required: false, nonEmpty: false)
            for (index, child) in content.enumerated() {
                let childPath = "\(path).content[\(index)]"
                let (text, childType) = try typedNode(child, path: childPath)
                guard childType == "text" else {
                    throw Problem(
                        path: childPath, reason: "a codeBlock holds only text, not '\(childType)'")
                }
                try self.text(text, path: childPath)
                if let marks = text["marks"], marks != [] {
                    throw Problem(
                        path: childPath + ".marks",
                        reason: "text in a codeBlock must not have marks")
                }
            }
        case "blockquote":
            try onlyMembers(node, ["type", "content"], path: path)
            try blockChildren(of: node, path: path, parent: type, allowed: ["paragraph"])
        case "rule":
            try onlyMembers(node, ["type"], path: path)
        case "panel":
            try onlyMembers(node, ["type", "content", "attrs"], path: path)
            let attributes = try attrs(
                of: node, path: path, required: true,
                allowed: ["panelType", "panelIcon", "panelIconId", "panelIconText", "panelColor"])
            guard let panelType = attributes["panelType"]?.stringValue,
                panelTypes.contains(panelType)
            else {
                throw Problem(
                    path: path + ".attrs.panelType",
                    reason:
                        "panelType must be one of \(panelTypes.sorted().joined(separator: ", "))")
            }
            try stringAttributes(
                attributes, ["panelIcon", "panelIconId", "panelIconText", "panelColor"], path: path)
            try blockChildren(of: node, path: path, parent: type, allowed: panelContent)
        case "table":
            try onlyMembers(node, ["type", "content", "attrs"], path: path)
            let attributes = try attrs(
                of: node, path: path, required: false,
                allowed: ["isNumberColumnEnabled", "layout", "localId"])
            if let numbered = attributes["isNumberColumnEnabled"], numbered != true,
                numbered != false
            {
                throw Problem(
                    path: path + ".attrs.isNumberColumnEnabled", reason: "must be true or false")
            }
            if let layout = attributes["layout"],
                !["wide", "full-width", "default"].contains(layout.stringValue ?? "")
            {
                throw Problem(
                    path: path + ".attrs.layout",
                    reason: "layout must be wide, full-width or default")
            }
            try blockChildren(of: node, path: path, parent: type, allowed: ["tableRow"])
        case "tableRow":
            try onlyMembers(node, ["type", "content"], path: path)
            let content = try children(of: node, path: path, required: true, nonEmpty: false)
            for (index, child) in content.enumerated() {
                try block(
                    child, path: "\(path).content[\(index)]",
                    allowed: ["tableCell", "tableHeader"], parent: type)
            }
        case "tableCell", "tableHeader":
            try onlyMembers(node, ["type", "content", "attrs"], path: path)
            let attributes = try attrs(
                of: node, path: path, required: false,
                allowed: ["colspan", "rowspan", "colwidth", "background"])
            for name in ["colspan", "rowspan"] where attributes[name] != nil {
                guard (attributes[name]?.integerValue ?? 0) >= 1 else {
                    throw Problem(path: "\(path).attrs.\(name)", reason: "must be a number >= 1")
                }
            }
            try stringAttributes(attributes, ["background"], path: path)
            try blockChildren(of: node, path: path, parent: type, allowed: tableCellContent)
        default:
            throw Problem(path: path, reason: "'\(type)' is not allowed inside '\(parent)'")
        }
    }

    private static func blockChildren(
        of node: ValueObject, path: String, parent: String, allowed: Set<String>
    ) throws(Problem) {
        let content = try children(of: node, path: path, required: true, nonEmpty: true)
        for (index, child) in content.enumerated() {
            try block(child, path: "\(path).content[\(index)]", allowed: allowed, parent: parent)
        }
    }

    private static func noBlockMarks(_ node: ValueObject, path: String) throws(Problem) {
        if let marks = node["marks"], marks != [] {
            throw Problem(path: path + ".marks", reason: "block marks are not supported")
        }
    }

    // MARK: - Inline nodes

    private static func inlineChildren(
        of node: ValueObject, path: String, parent: String
    ) throws(Problem) {
        let content = try children(of: node, path: path, required: false, nonEmpty: false)
        for (index, child) in content.enumerated() {
            try inline(child, path: "\(path).content[\(index)]", parent: parent)
        }
    }

    private static func inline(_ value: Value, path: String, parent: String) throws(Problem) {
        let (node, type) = try typedNode(value, path: path)
        switch type {
        case "text":
            try text(node, path: path)
            try marks(node["marks"], path: path + ".marks")
        case "hardBreak":
            try onlyMembers(node, ["type", "attrs"], path: path)
            let attributes = try attrs(of: node, path: path, required: false, allowed: ["text"])
            if let text = attributes["text"], text != "\n" {
                throw Problem(path: path + ".attrs.text", reason: "text must be \"\\n\"")
            }
        case "mention":
            try onlyMembers(node, ["type", "attrs"], path: path)
            let attributes = try attrs(
                of: node, path: path, required: true,
                allowed: ["id", "text", "userType", "accessLevel"])
            guard attributes["id"]?.stringValue != nil else {
                throw Problem(path: path + ".attrs.id", reason: "a mention needs a string id")
            }
            try stringAttributes(attributes, ["text", "accessLevel"], path: path)
            if let userType = attributes["userType"],
                !["DEFAULT", "SPECIAL", "APP"].contains(userType.stringValue ?? "")
            {
                throw Problem(
                    path: path + ".attrs.userType",
                    reason: "userType must be DEFAULT, SPECIAL or APP")
            }
        case "emoji":
            try onlyMembers(node, ["type", "attrs"], path: path)
            let attributes = try attrs(
                of: node, path: path, required: true, allowed: ["id", "shortName", "text"])
            guard attributes["shortName"]?.stringValue != nil else {
                throw Problem(
                    path: path + ".attrs.shortName", reason: "an emoji needs a string shortName")
            }
            try stringAttributes(attributes, ["id", "text"], path: path)
        case "inlineCard":
            try onlyMembers(node, ["type", "attrs"], path: path)
            let attributes = try attrs(
                of: node, path: path, required: true, allowed: ["url", "data"])
            let hasURL = attributes["url"]?.stringValue != nil
            guard hasURL != (attributes["data"] != nil), attributes.count == 1 else {
                throw Problem(
                    path: path + ".attrs", reason: "an inlineCard needs either a string url or data"
                )
            }
        default:
            if blockTypes.contains(type) {
                throw Problem(path: path, reason: "'\(type)' is not allowed inside '\(parent)'")
            }
            throw Problem(path: path, reason: "unknown node type '\(type)'")
        }
    }

    private static func text(_ node: ValueObject, path: String) throws(Problem) {
        try onlyMembers(node, ["type", "text", "marks"], path: path)
        guard let text = node["text"]?.stringValue else {
            throw Problem(path: path, reason: "text must be a string")
        }
        guard !text.isEmpty else {
            throw Problem(path: path, reason: "text must not be empty")
        }
    }

    private static func marks(_ value: Value?, path: String) throws(Problem) {
        guard let value else {
            return
        }
        guard case .array(let marks) = value else {
            throw Problem(path: path, reason: "marks must be an array")
        }
        var seen: Set<String> = []
        for (index, mark) in marks.enumerated() {
            let markPath = "\(path)[\(index)]"
            let (object, type) = try typedNode(mark, path: markPath)
            guard markTypes.contains(type) else {
                throw Problem(path: markPath, reason: "unknown mark type '\(type)'")
            }
            guard seen.insert(type).inserted else {
                throw Problem(path: markPath, reason: "mark '\(type)' appears more than once")
            }
            switch type {
            case "link":
                try onlyMembers(object, ["type", "attrs"], path: markPath)
                let attributes = try attrs(
                    of: object, path: markPath, required: true,
                    allowed: ["href", "title", "id", "collection", "occurrenceKey"])
                guard attributes["href"]?.stringValue != nil else {
                    throw Problem(path: markPath + ".attrs.href", reason: "a link needs an href")
                }
                try stringAttributes(
                    attributes, ["title", "id", "collection", "occurrenceKey"], path: markPath)
            case "subsup":
                try onlyMembers(object, ["type", "attrs"], path: markPath)
                let attributes = try attrs(
                    of: object, path: markPath, required: true, allowed: ["type"])
                guard attributes["type"] == "sub" || attributes["type"] == "sup" else {
                    throw Problem(path: markPath + ".attrs.type", reason: "type must be sub or sup")
                }
            case "textColor":
                try onlyMembers(object, ["type", "attrs"], path: markPath)
                let attributes = try attrs(
                    of: object, path: markPath, required: true, allowed: ["color"])
                guard let color = attributes["color"]?.stringValue, isHexColor(color) else {
                    throw Problem(
                        path: markPath + ".attrs.color", reason: "color must look like #1a2b3c")
                }
            default:
                try onlyMembers(object, ["type"], path: markPath)
            }
        }
        if seen.contains("code"), !seen.isSubset(of: ["code", "link"]) {
            throw Problem(path: path, reason: "the code mark may be combined only with link")
        }
    }

    private static func isHexColor(_ text: String) -> Bool {
        let characters = Array(text.utf8)
        return characters.count == 7 && characters[0] == UInt8(ascii: "#")
            && characters.dropFirst().allSatisfy { byte in
                (48...57).contains(byte) || (65...70).contains(byte) || (97...102).contains(byte)
            }
    }

    // MARK: - Members

    /// The node as an object, and its `type`.
    private static func typedNode(
        _ value: Value, path: String
    ) throws(Problem) -> (ValueObject, String) {
        guard case .object(let node) = value else {
            throw Problem(path: path, reason: "a node must be a JSON object")
        }
        guard let type = node["type"]?.stringValue else {
            throw Problem(path: path, reason: "a node needs a string 'type'")
        }
        return (node, type)
    }

    private static func onlyMembers(
        _ node: ValueObject, _ allowed: Set<String>, path: String
    ) throws(Problem) {
        if let unexpected = node.keys.first(where: { !allowed.contains($0) }) {
            throw Problem(path: path, reason: "unexpected member '\(unexpected)'")
        }
    }

    private static func children(
        of node: ValueObject, path: String, required: Bool, nonEmpty: Bool
    ) throws(Problem) -> [Value] {
        let contentPath = path.isEmpty ? "content" : path + ".content"
        guard let content = node["content"] else {
            if required {
                throw Problem(path: path, reason: "'content' is required")
            }
            return []
        }
        guard case .array(let elements) = content else {
            throw Problem(path: contentPath, reason: "content must be an array")
        }
        if nonEmpty && elements.isEmpty {
            throw Problem(path: contentPath, reason: "content must not be empty")
        }
        return elements
    }

    private static func attrs(
        of node: ValueObject, path: String, required: Bool, allowed: Set<String>
    ) throws(Problem) -> ValueObject {
        guard let value = node["attrs"] else {
            if required {
                throw Problem(path: path, reason: "'attrs' is required")
            }
            return [:]
        }
        guard case .object(let attributes) = value else {
            throw Problem(path: path + ".attrs", reason: "attrs must be an object")
        }
        if let unexpected = attributes.keys.first(where: { !allowed.contains($0) }) {
            throw Problem(path: path + ".attrs", reason: "unexpected attribute '\(unexpected)'")
        }
        return attributes
    }

    private static func stringAttributes(
        _ attributes: ValueObject, _ names: [String], path: String
    ) throws(Problem) {
        for name in names {
            if let value = attributes[name], value.stringValue == nil {
                throw Problem(path: "\(path).attrs.\(name)", reason: "\(name) must be a string")
            }
        }
    }
}
