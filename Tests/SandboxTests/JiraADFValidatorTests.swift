import Foundation
import Ledger
import Testing

@testable import Sandbox

@Suite("Jira ADF validator")
struct JiraADFValidatorTests {
    /// A document using every node and mark the validator accepts.
    static let richDocument = #"""
        {"version": 1, "type": "doc", "content": [
          {"type": "heading", "attrs": {"level": 2},
           "content": [{"type": "text", "text": "Summary"}]},
          {"type": "paragraph", "content": [
            {"type": "text", "text": "Bold", "marks": [{"type": "strong"}, {"type": "em"}]},
            {"type": "hardBreak"},
            {"type": "text", "text": "x",
             "marks": [{"type": "subsup", "attrs": {"type": "sup"}}]},
            {"type": "text", "text": "red",
             "marks": [{"type": "textColor", "attrs": {"color": "#ff0000"}}]},
            {"type": "text", "text": "run()",
             "marks": [{"type": "code"}, {"type": "link", "attrs": {"href": "https://a.example"}}]},
            {"type": "mention", "attrs": {"id": "5b10ac8d82e05b22cc7d4ef5", "text": "@Agent"}},
            {"type": "emoji", "attrs": {"shortName": ":smile:"}},
            {"type": "inlineCard", "attrs": {"url": "https://a.example/ticket/1"}},
            {"type": "text", "text": "gone", "marks": [{"type": "strike"}, {"type": "underline"}]}
          ]},
          {"type": "bulletList", "content": [
            {"type": "listItem", "content": [
              {"type": "paragraph", "content": [{"type": "text", "text": "one"}]},
              {"type": "orderedList", "attrs": {"order": 3}, "content": [
                {"type": "listItem", "content": [{"type": "paragraph"}]}
              ]}
            ]}
          ]},
          {"type": "codeBlock", "attrs": {"language": "swift"},
           "content": [{"type": "text", "text": "let x = 1"}]},
          {"type": "blockquote",
           "content": [{"type": "paragraph", "content": [{"type": "text", "text": "quoted"}]}]},
          {"type": "rule"},
          {"type": "panel", "attrs": {"panelType": "warning"}, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "careful"}]}
          ]},
          {"type": "table", "content": [
            {"type": "tableRow", "content": [
              {"type": "tableHeader",
               "content": [{"type": "paragraph", "content": [{"type": "text", "text": "A"}]}]},
              {"type": "tableCell", "attrs": {"colspan": 1}, "content": [{"type": "paragraph"}]}
            ]}
          ]}
        ]}
        """#

    @Test func acceptsEveryNodeAndMarkItKnows() throws {
        let document = try Value(json: Self.richDocument)
        #expect(throws: Never.self) { try ADFValidator.validate(document) }
        #expect(ADFValidator.isValid(["version": 1, "type": "doc", "content": []]))
    }

    /// A document's `content` that the validator refuses, and the problem it names.
    struct Invalid: CustomTestStringConvertible, Sendable {
        let content: String
        let problem: String
        var testDescription: String { problem }

        init(content: String, problem: String) {
            self.content = content
            self.problem = problem
        }

        /// One paragraph holding the text `x` with `marks`.
        init(marks: String, problem: String) {
            content =
                #"[{"type":"paragraph","content":[{"type":"text","text":"x","marks":"#
                + marks + "}]}]"
            self.problem = "content[0].content[0].marks" + problem
        }
    }

    static let invalid = [
        Invalid(
            content: #"""
                [{"type":"paragraph","content":[{"type":"text","text":"a"}]},
                 {"type":"paragraph","content":[{"type":"text","text":""}]}]
                """#,
            problem: "content[1].content[0]: text must not be empty"),
        Invalid(
            content: #"[{"type":"marquee"}]"#, problem: "content[0]: unknown node type 'marquee'"),
        Invalid(
            content: #"[{"type":"listItem","content":[{"type":"paragraph"}]}]"#,
            problem: "content[0]: 'listItem' is not allowed inside 'doc'"),
        Invalid(
            content: #"[{"type":"text","text":"loose"}]"#,
            problem: "content[0]: 'text' is not allowed inside 'doc'"),
        Invalid(
            content: #"[{"type":"bulletList","content":[{"type":"paragraph"}]}]"#,
            problem: "content[0].content[0]: 'paragraph' is not allowed inside 'bulletList'"),
        Invalid(
            content: #"[{"type":"bulletList","content":[]}]"#,
            problem: "content[0].content: content must not be empty"),
        Invalid(
            content: #"""
                [{"type":"bulletList","content":[
                  {"type":"listItem","content":[{"type":"bulletList","content":[]}]}]}]
                """#,
            problem:
                "content[0].content[0].content[0]: 'bulletList' is not allowed inside 'listItem'"
        ),
        Invalid(
            content: #"[{"type":"heading","attrs":{"level":7}}]"#,
            problem: "content[0].attrs.level: level must be 1 to 6"),
        Invalid(
            content: #"[{"type":"heading","content":[]}]"#,
            problem: "content[0]: 'attrs' is required"),
        Invalid(
            content: #"""
                [{"type":"codeBlock",
                  "content":[{"type":"text","text":"x","marks":[{"type":"strong"}]}]}]
                """#,
            problem: "content[0].content[0].marks: text in a codeBlock must not have marks"),
        Invalid(
            content: #"[{"type":"codeBlock","content":[{"type":"hardBreak"}]}]"#,
            problem: "content[0].content[0]: a codeBlock holds only text, not 'hardBreak'"),
        Invalid(
            marks: #"[{"type":"link","attrs":{}}]"#,
            problem: "[0].attrs.href: a link needs an href"),
        Invalid(marks: #"[{"type":"blink"}]"#, problem: "[0]: unknown mark type 'blink'"),
        Invalid(
            marks: #"[{"type":"code"},{"type":"strong"}]"#,
            problem: ": the code mark may be combined only with link"),
        Invalid(
            marks: #"[{"type":"em"},{"type":"em"}]"#,
            problem: "[1]: mark 'em' appears more than once"),
        Invalid(
            marks: #"[{"type":"textColor","attrs":{"color":"red"}}]"#,
            problem: "[0].attrs.color: color must look like #1a2b3c"),
        Invalid(
            content: #"[{"type":"paragraph","content":[{"type":"mention","attrs":{}}]}]"#,
            problem: "content[0].content[0].attrs.id: a mention needs a string id"),
        Invalid(
            content: #"[{"type":"paragraph","content":[{"type":"paragraph"}]}]"#,
            problem: "content[0].content[0]: 'paragraph' is not allowed inside 'paragraph'"),
        Invalid(
            content: #"[{"type":"paragraph","colour":"blue"}]"#,
            problem: "content[0]: unexpected member 'colour'"),
        Invalid(
            content: #"""
                [{"type":"panel","attrs":{"panelType":"shout"},"content":[{"type":"paragraph"}]}]
                """#,
            problem: "content[0].attrs.panelType: panelType must be one of custom, error, info, "
                + "note, success, tip, warning"),
        Invalid(
            content: #"[{"type":"blockquote","content":[{"type":"rule"}]}]"#,
            problem: "content[0].content[0]: 'rule' is not allowed inside 'blockquote'"),
    ]

    @Test(arguments: invalid)
    func refusesAndNamesTheJSONPath(_ example: Invalid) throws {
        let document = try Value(json: #"{"version":1,"type":"doc","content":\#(example.content)}"#)
        #expect(throws: ADFValidator.Problem.self) { try ADFValidator.validate(document) }
        do {
            try ADFValidator.validate(document)
        } catch {
            #expect(error.description == example.problem)
        }
    }

    @Test func refusesDocumentsWithAWrongRoot() throws {
        let cases: [(Value, String)] = [
            (["version": 2, "type": "doc", "content": []], "version: version must be 1"),
            (
                ["version": 1, "type": "page", "content": []],
                "type: the document's type must be \"doc\""
            ),
            (["version": 1, "type": "doc"], "'content' is required"),
            (
                ["version": 1, "type": "doc", "content": [], "title": "x"],
                "unexpected member 'title'"
            ),
            ("just text", "the document must be a JSON object"),
        ]
        for (document, problem) in cases {
            do {
                try ADFValidator.validate(document)
                Issue.record("\(document.json) was accepted")
            } catch {
                #expect(error.description == problem)
            }
        }
    }

    // MARK: - Agreement with the official schema

    static let schemaPath =
        ProcessInfo.processInfo.environment["ADF_SCHEMA"]
        ?? "/work/shared/specs/adf-schema-v1-full.json"

    /// The official schema.
    static func schema() throws -> Value {
        try Value(jsonBytes: Array(try Data(contentsOf: URL(fileURLWithPath: schemaPath))))
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: schemaPath)))
    func everyAcceptedTypeIsDefinedByTheOfficialSchema() throws {
        let definitions = try #require(try Self.schema()["definitions"]?.objectValue)
        func declaredTypes(suffix: String) -> Set<String> {
            Set(
                definitions.filter { $0.key.hasSuffix(suffix) }.compactMap {
                    $0.value["properties"]?["type"]?["enum"]?.arrayValue?.first?.stringValue
                })
        }
        let nodes = declaredTypes(suffix: "_node")
        let marks = declaredTypes(suffix: "_mark")
        #expect(nodes.count > 30)
        for type in ADFValidator.blockTypes.union(ADFValidator.inlineTypes) {
            #expect(nodes.contains(type), "\(type) is a node type of the schema")
        }
        for mark in ADFValidator.markTypes {
            #expect(marks.contains(mark), "\(mark) is a mark type of the schema")
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: schemaPath)))
    func aValidDocumentMeetsTheSchemasTopLevelRequirements() throws {
        let schema = try Self.schema()
        let definitions = try #require(schema["definitions"]?.objectValue)
        #expect(schema["$ref"] == "#/definitions/doc_node")
        let root = try #require(definitions["doc_node"])
        let document = try Value(json: Self.richDocument)
        try ADFValidator.validate(document)

        let required = root["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(required == ["version", "type", "content"])
        let allowedMembers = root["properties"]?.objectValue?.keys ?? []
        #expect(document.objectValue?.keys.allSatisfy(allowedMembers.contains) == true)
        #expect(root["additionalProperties"] == false)
        #expect(
            root["properties"]?["version"]?["enum"]?.arrayValue?.contains(document["version"]!)
                == true)
        #expect(root["properties"]?["type"]?["enum"] == ["doc"])

        // The node types the schema allows at the top, read through its references.
        func nodeType(_ reference: String) -> String? {
            let name = String(reference.dropFirst("#/definitions/".count))
            guard let definition = definitions[name] else {
                return nil
            }
            if let type = definition["properties"]?["type"]?["enum"]?.arrayValue?.first {
                return type.stringValue
            }
            return definition["allOf"]?.arrayValue?.first?["$ref"]?.stringValue.flatMap(nodeType)
        }
        let topLevel = Set(
            root["properties"]?["content"]?["items"]?["anyOf"]?.arrayValue?.compactMap {
                $0["$ref"]?.stringValue.flatMap(nodeType)
            } ?? [])
        #expect(topLevel.contains("paragraph"))
        let used = document["content"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
        #expect(used.count == 8)
        for type in used {
            #expect(topLevel.contains(type), "\(type) is allowed at the top by the schema")
        }
    }

    @Test func seededDocumentsAreValid() async throws {
        let sandbox = try JiraSandbox {
            $0.seed = 7
            $0.issues = 150
        }
        var documents: [Value] = []
        var token: String?
        repeat {
            var query = [
                ("jql", "project = SUP"), ("fields", "description,customfield_10101"),
                ("maxResults", "100"),
            ]
            if let token {
                query.append(("nextPageToken", token))
            }
            let page = try await sandbox.send("GET", "/rest/api/3/search/jql", query: query)
            for issue in page.body["issues"]?.arrayValue ?? [] {
                documents.append(try #require(issue["fields"]?["description"]))
                if let impact = issue["fields"]?["customfield_10101"], impact != .null {
                    documents.append(impact)
                }
            }
            token = page.body["nextPageToken"]?.stringValue
        } while token != nil
        #expect(documents.count > 150)
        for document in documents {
            #expect(throws: Never.self) { try ADFValidator.validate(document) }
        }
    }
}
