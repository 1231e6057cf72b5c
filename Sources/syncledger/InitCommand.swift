import Connectors
import Foundation
import Ledger
import Mapping
import Sandbox

/// `syncledger init`: writes a commented starter configuration.
struct InitCommand: Command {
    static let name = "init"
    static let summary = "Write a commented starter configuration for Zendesk and Jira."
    static let usage =
        "init [FILE] [--force] [--sandbox --zendesk-url URL --jira-url URL] [--ledger PATH]"
    static let discussion = """
        Writes FILE (default syncledger.yaml): two connections, zendesk and jira, and one pair
        that gives tickets issues, with the common field mappings explained in comments. It
        refuses to overwrite a file unless --force is given.

        With --sandbox the file targets a running syncledger sandbox at the given URLs, with
        API token authentication, and the sandbox's credentials are stored in the ledger's
        vault under the names the file uses, so everything can be tried offline.

        Examples:
          syncledger init
          syncledger init --sandbox --zendesk-url http://127.0.0.1:41000 \\
            --jira-url http://127.0.0.1:41001
        """
    static let options: [OptionSpec] = [
        .ledger,
        .flag("force", "Overwrite FILE if it exists."),
        .flag("sandbox", "Target a running local sandbox and store its credentials."),
        .value("zendesk-url", "URL", "The sandbox's Zendesk base URL (with --sandbox)."),
        .value("jira-url", "URL", "The sandbox's Jira base URL (with --sandbox)."),
    ]

    let path: String
    let ledger: String
    let force: Bool
    let sandbox: (zendesk: String, jira: String)?

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 1)
        path = arguments.positionals.first ?? "syncledger.yaml"
        ledger = arguments.ledgerPath(environment: environment)
        force = arguments.flag("force")
        let zendesk = arguments.value("zendesk-url")
        let jira = arguments.value("jira-url")
        if arguments.flag("sandbox") {
            guard let zendesk, let jira else {
                throw UsageError(
                    message:
                        "--sandbox needs --zendesk-url and --jira-url (syncledger sandbox prints them)",
                    command: Self.name)
            }
            for url in [zendesk, jira] where URL(string: url)?.host == nil {
                throw UsageError(message: "'\(url)' is not a URL", command: Self.name)
            }
            sandbox = (zendesk, jira)
        } else {
            guard zendesk == nil, jira == nil else {
                throw UsageError(
                    message: "--zendesk-url and --jira-url go with --sandbox", command: Self.name)
            }
            sandbox = nil
        }
    }

    func run() async throws -> Int32 {
        if FileManager.default.fileExists(atPath: path), !force {
            Output.error("\(path) exists; give --force to overwrite it")
            return ExitStatus.failure
        }
        let text: String
        if let sandbox {
            let zendesk = ZendeskEmulator.Configuration()
            let jira = JiraEmulator.Configuration()
            let vault: Vault
            do {
                try FileManager.default.createDirectory(
                    atPath: ledger, withIntermediateDirectories: true)
                vault = try Vault(
                    path: ledger + "/vault.sealed", keyPath: ledger + "/vault.key",
                    environment: ProcessInfo.processInfo.environment)
                try vault.store(
                    .apiToken(account: zendesk.email + "/token", token: zendesk.apiToken),
                    for: "zendesk")
                try vault.store(.apiToken(account: jira.email, token: jira.apiToken), for: "jira")
            } catch {
                Output.error("the sandbox's credentials cannot be stored: \(error)")
                return ExitStatus.failure
            }
            text = StarterConfiguration.text(
                for: StarterConfiguration.Endpoints(
                    zendesk: sandbox.zendesk, jira: sandbox.jira, auth: .apiToken,
                    project: jira.projectKey),
                sandbox: true)
        } else {
            text = StarterConfiguration.text(for: .accounts)
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            Output.error("\(path) cannot be written")
            return ExitStatus.failure
        }
        Output.line(
            "wrote \(path)"
                + (sandbox == nil
                    ? "" : "; the sandbox's credentials are in the vault of \(ledger)"))
        return ExitStatus.success
    }
}
