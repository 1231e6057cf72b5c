import Ledger
import Mapping
import Reconcile
import Testing

/// The problems reading `text` reports; none when it reads.
private func problems(_ text: String) -> [ConfigurationProblem] {
    do {
        _ = try ConfigurationFile(text: text, path: "sync.yaml")
        return []
    } catch {
        return error.problems
    }
}

/// The connections most tests share, followed by `pairs`.
private func withConnections(_ pairs: String) -> String {
    """
    connections:
      zendesk:
        provider: zendesk
        baseURL: https://example.zendesk.com
        auth: oauth
        credential: zendesk
      jira:
        provider: jira
        baseURL: https://example.atlassian.net
        auth: apiToken
        credential: jira
        project: SUP
    pairs:
    \(pairs)
    """
}

@Suite("Reading a configuration file")
struct ConfigurationFileTests {
    @Test func theStarterFileReadsAndSaysWhatItDeclares() throws {
        let text = StarterConfiguration.text(for: .accounts)
        let file = try ConfigurationFile(text: text, path: "syncledger.yaml")
        let configuration = file.configuration
        #expect(configuration.connections.map(\.name) == ["zendesk", "jira"])
        #expect(configuration.connection(named: "jira")?.project == "SUP")
        #expect(configuration.connection(named: "zendesk")?.webhookSecret == "zendesk-webhook")
        #expect(configuration.connection(named: "zendesk")?.pollEvery == .seconds(30))
        let pair = try #require(configuration.pairs.first)
        #expect(pair.direction == .leftToRight)
        #expect(pair.onDelete == .tag)
        #expect(
            pair.fields.map(\.left) == [
                .plain("subject"), .plain("description"), .plain("priority"), .plain("status"),
                .plain("tags"),
            ])
        #expect(pair.fields[1].formats == FieldFormats(left: .text, right: .adf))
        #expect(pair.fields[1].authority == .owner(.left))
        #expect(pair.fields[4].authority == .mergeSet)
        #expect(pair.derived.map(\.field) == [.custom("Zendesk ticket"), .plain("issuetype")])
        #expect(
            configuration.customFields == [
                CustomFieldReference(connection: "jira", name: "Zendesk ticket")
            ])
        #expect(file.digest.count == 64)
    }

    @Test func theSandboxStarterReadsToo() throws {
        let endpoints = StarterConfiguration.Endpoints(
            zendesk: "http://127.0.0.1:41000", jira: "http://127.0.0.1:41001", auth: .apiToken,
            project: "SUP")
        let file = try ConfigurationFile(
            text: StarterConfiguration.text(for: endpoints, sandbox: true), path: "s.yaml")
        #expect(file.configuration.connection(named: "jira")?.baseURL == "http://127.0.0.1:41001")
        #expect(file.configuration.connection(named: "jira")?.auth == .apiToken)
    }

    @Test func valueMapsReadBothWaysWithDefaultsAndAnExplicitReverse() throws {
        let file = try ConfigurationFile(
            text: StarterConfiguration.text(for: .accounts), path: "syncledger.yaml")
        let sync = try file.configuration.syncConfiguration(resolving: [
            CustomFieldReference(connection: "jira", name: "Zendesk ticket"): "customfield_10100"
        ])
        let pair = try #require(sync.pair(named: "support"))
        let priority = try #require(pair.fields.first { $0.left == "priority" })
        #expect(try priority.carry("urgent", from: .left) == "Highest")
        #expect(try priority.carry("Lowest", from: .right) == "normal")
        #expect(try priority.carry("something-new", from: .left) == "Medium")
        let status = try #require(pair.fields.first { $0.left == "status" })
        #expect(try status.carry("hold", from: .left) == "In Progress")
        #expect(try status.carry("In Progress", from: .right) == "pending")
        #expect(throws: MappingError.self) { try status.carry("Blocked", from: .right) }
        #expect(pair.derived.first?.field == "customfield_10100")
    }

    @Test func anUnresolvedCustomFieldIsAnErrorNamingIt() throws {
        let file = try ConfigurationFile(
            text: StarterConfiguration.text(for: .accounts), path: "syncledger.yaml")
        #expect(throws: UnresolvedFieldError.self) { try file.configuration.syncConfiguration() }
    }

    @Test func textThatIsNotYAMLIsReportedWhereTheParserStopped() {
        let found = problems("connections:\n  zendesk: [unclosed\npairs: []\n")
        #expect(found.count == 1)
        #expect(found.first?.message.hasPrefix("not YAML: ") == true)
        #expect(found.first?.line == 3)
    }

    @Test func anEmptyFileSaysWhatIsExpected() {
        let found = problems("")
        #expect(found.map(\.message) == ["the file is empty; expected 'connections' and 'pairs'"])
        #expect(found.first.map { "\($0.line):\($0.column)" } == "1:1")
    }

    @Test func anUnknownKeyComesWithTheNearestKnownOne() {
        let found = problems(
            withConnections(
                """
                  - name: support
                    left: zendesk:ticket
                    right: jira:issue
                    fields:
                      - left: subject
                        right: summary
                        authorty: owner:left
                """))
        #expect(found.count == 1)
        #expect(
            found.first?.message
                == "unknown key 'authorty' in a field of pair 'support'; did you mean 'authority'?")
        #expect(found.first.map { "\($0.line):\($0.column)" } == "20:9")
        #expect(found.first?.description.hasPrefix("sync.yaml:20:9: ") == true)
    }

    @Test func aValueOfTheWrongTypeSaysWhatWasFoundAndExpected() {
        let found = problems(
            """
            connections:
              zendesk:
                provider: [zendesk]
                baseURL: ftp://example.zendesk.com
                auth: oauht
                credential: zendesk
                pollEvery: often
            pairs: {}
            """)
        #expect(
            found.map(\.message) == [
                "the provider of connection 'zendesk' must be a non-empty string, found a list",
                "the baseURL of connection 'zendesk' is 'ftp://example.zendesk.com'; expected an http:// or https:// URL",
                "the auth of connection 'zendesk' is 'oauht'; expected one of oauth, apiToken (did you mean 'oauth'?)",
                "the pollEvery of connection 'zendesk' is 'often'; expected a duration such as 30s, 5m or 1h",
                "'pairs' must be a list of pairs, found a mapping",
            ])
        #expect(found.map(\.line) == [3, 4, 5, 7, 8])
        #expect(found.map(\.column) == [15, 14, 11, 16, 8])
    }

    @Test func retrySettingsReadAndBadOnesAreNamed() throws {
        let pair = """
              - name: support
                left: zendesk:ticket
                right: jira:issue
                fields:
                  - left: subject
                    right: summary
            """
        let file = try ConfigurationFile(
            text: withConnections(pair) + "\nretry:\n  attempts: 8\n  baseDelay: 20ms\n"
                + "  maxWait: 2m\n",
            path: "sync.yaml")
        #expect(
            file.configuration.retry
                == Configuration.RetrySettings(
                    attempts: 8, baseDelay: .milliseconds(20), maximumWait: .seconds(120)))
        #expect(
            try ConfigurationFile(text: withConnections(pair), path: "s").configuration.retry
                == Configuration.RetrySettings())

        let found = problems(
            withConnections(pair) + "\nretry:\n  attempts: 0\n  maxDelay: soon\n  jitter: 1\n")
        #expect(
            found.map(\.message) == [
                "retry.attempts is '0'; expected a whole number from 1 to 20",
                "retry.maxDelay is 'soon'; expected a duration such as 250ms, 30s, 5m or 1h",
                "unknown key 'jitter' in 'retry'; expected one of attempts, baseDelay, maxDelay, "
                    + "maxWait",
            ])
    }

    @Test func missingKeysAreReportedAtTheirMapping() {
        let found = problems(
            """
            connections:
              jira:
                provider: jira
                baseURL: https://example.atlassian.net
                credential: jira
            pairs: []
            """)
        #expect(
            found.map(\.message) == [
                "connection 'jira' is missing 'auth'",
                "connection 'jira' is a Jira connection and needs 'project', the key of the project issues are created in",
            ])
        #expect(found.allSatisfy { $0.line == 3 && $0.column == 5 })
    }

    @Test func aPairNamingAnUndeclaredConnectionOrRecordTypeIsReported() {
        let found = problems(
            withConnections(
                """
                  - name: support
                    left: zendsk:ticket
                    right: jira:ticket
                    fields: []
                """))
        #expect(
            found.map(\.message) == [
                "the left of pair 'support' names the connection 'zendsk', which is not declared; did you mean 'zendesk'?",
                "the right of pair 'support': a jira connection has no record type 'ticket'; expected issue",
            ])
        #expect(found.map(\.line) == [15, 16])
    }

    @Test func aFieldMappedTwiceOnOneSideNamesTheFirst() {
        let found = problems(
            withConnections(
                """
                  - name: support
                    left: zendesk:ticket
                    right: jira:issue
                    fields:
                      - left: subject
                        right: summary
                      - left: description
                        right: summary
                """))
        #expect(
            found.map(\.message) == [
                "the right field summary of pair 'support' is already mapped at line 19, column 16"
            ])
        #expect(found.first.map { "\($0.line):\($0.column)" } == "21:16")
    }

    @Test func anAuthorityRuleNamingASystemOutsideThePairIsReported() {
        let found = problems(
            withConnections(
                """
                  - name: support
                    left: zendesk:ticket
                    right: jira:issue
                    fields:
                      - left: subject
                        right: summary
                        authority: owner:github
                      - left: priority
                        right: priority
                        authority: owner:jira
                        values: {urgent: Highest, high: High, normal: Medium, low: Low}
                        default: {left: normal, right: Medium}
                      - left: tags
                        right: labels
                        authority: mergeSets
                """))
        #expect(
            found.map(\.message) == [
                "the authority 'owner:github' names 'github', which is not in pair 'support'; expected owner:left, owner:right, owner:zendesk, owner:jira",
                "the authority 'mergeSets' is not one of owner:<side or connection>, lastWriterWins, mergeSet, manual; did you mean 'mergeSet'?",
            ])
        #expect(found.map(\.line) == [20, 28])
    }

    @Test func aValueMapMustCoverTheKnownValuesUnlessItHasADefault() {
        let found = problems(
            withConnections(
                """
                  - name: support
                    left: zendesk:ticket
                    right: jira:issue
                    fields:
                      - left: priority
                        right: priority
                        values: {urgent: Highest, high: High, normal: Medium}
                """))
        #expect(
            found.map(\.message) == [
                #"the value map of priority in pair 'support' does not cover "low", which priority on the left can hold; map them, or give a default for the right"#,
                #"the value map of priority in pair 'support' does not cover "Low", "Lowest", which priority on the right can hold; map them, or give a default for the left"#,
            ])
        #expect(found.allSatisfy { $0.line == 20 && $0.column == 17 })
    }

    @Test func aValueMapThatCannotBeReadBackwardsNeedsAReverse() {
        let found = problems(
            withConnections(
                """
                  - name: support
                    left: zendesk:ticket
                    right: jira:issue
                    fields:
                      - left: type
                        right: issuetype
                        values: {problem: Bug, incident: Bug, question: Task, task: Task}
                        default: {left: question, right: Task}
                """))
        #expect(found.count == 1)
        #expect(found.first?.message.contains("maps several left values to \"Bug\"") == true)
        #expect(found.first.map { "\($0.line):\($0.column)" } == "20:17")

        let owned = problems(
            withConnections(
                """
                  - name: support
                    left: zendesk:ticket
                    right: jira:issue
                    direction: leftToRight
                    fields:
                      - left: type
                        right: issuetype
                        authority: owner:left
                        values: {problem: Bug, incident: Bug, question: Task, task: Task}
                        default: {left: question, right: Task}
                """))
        #expect(owned.isEmpty, "\(owned)")
    }

    @Test func anHTMLSideMustOwnItsField() {
        let found = problems(
            withConnections(
                """
                  - name: support
                    left: zendesk:ticket
                    right: jira:issue
                    fields:
                      - left: html_body
                        right: description
                        format: {left: html, right: adf}
                """))
        #expect(found.count == 1)
        #expect(found.first?.message.hasPrefix("the left side of this field is HTML") == true)
        #expect(found.first?.line == 20)
    }

    @Test func aSecretWrittenIntoTheFileIsRefused() {
        let found = problems(
            """
            connections:
              zendesk:
                provider: zendesk
                baseURL: https://example.zendesk.com
                auth: oauth
                credential: zendesk
                webhookSecret: s3cr3t-value
            pairs: []
            """)
        #expect(found.map(\.line) == [7])
        #expect(found.first?.message.contains("never write the secret itself here") == true)
    }

    @Test func everyProblemIsReportedAtOnceInFileOrder() {
        let found = problems(
            withConnections(
                """
                  - name: support
                    left: zendesk:tickets
                    right: jira:issue
                    directon: both
                    fields:
                      - left: subject
                        right: summary
                        authority: owner:nobody
                  - name: support
                    left: zendesk:ticket
                    right: jira:issue
                    fields: []
                """))
        #expect(found.map(\.line) == [15, 17, 21, 22])
        #expect(
            found[1].message
                == "unknown key 'directon' in pair 'support'; did you mean 'direction'?")
        #expect(
            found[3].message == "a second pair named 'support'; the first is at line 14, column 11")
    }

    @Test func constantsAndTemplatesWriteOneSideOnly() {
        let found = problems(
            withConnections(
                """
                  - name: support
                    left: zendesk:ticket
                    right: jira:issue
                    fields:
                      - right: components
                        constant: [Support]
                        authority: owner:left
                      - left: subject
                        right: summary
                        template: "{subject}"
                """))
        #expect(
            found.map(\.message) == [
                "'authority' does not apply to a constant or template field of pair 'support', which is only written when a counterpart is created",
                "a constant or template field of pair 'support' names the field it writes as 'left' or 'right', exactly one of them",
            ])
    }

    @Test func aKeyGivenTwiceNamesTheFirst() {
        let found = problems(
            withConnections(
                """
                  - name: support
                    left: zendesk:ticket
                    right: jira:issue
                    fields:
                      - left: subject
                        right: summary
                        left: title
                """))
        #expect(
            found.map(\.message) == [
                "not YAML: the key 'left' appears twice in one mapping"
            ])
        #expect(found.first.map { "\($0.line):\($0.column)" } == "20:9")
    }

    @Test func aFilterReadsValuesAndListsPerSide() throws {
        let text = withConnections(
            """
              - name: support
                left: zendesk:ticket
                right: jira:issue
                filter:
                  left: {status: [new, open], type: incident}
                fields:
                  - left: subject
                    right: summary
            """)
        let pair = try #require(
            try ConfigurationFile(text: text, path: "s.yaml").configuration.pairs.first)
        #expect(
            pair.filters[.left]
                == RecordFilter([
                    RecordFilter.Condition(field: "status", values: ["new", "open"]),
                    RecordFilter.Condition(field: "type", values: ["incident"]),
                ]))
        #expect(pair.filters[.right] == nil)
    }
}
