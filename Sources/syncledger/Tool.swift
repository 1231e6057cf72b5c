import Foundation
import Ledger

/// The `syncledger` tool: finds the command and runs it.
enum Tool {
    /// The commands, in the order `syncledger --help` lists them.
    static let commands: [any Command.Type] = [
        AppendCommand.self,
        LogCommand.self,
        StatsCommand.self,
        ShowCommand.self,
        WhyCommand.self,
        PlanCommand.self,
        ReplayCommand.self,
        SandboxCommand.self,
        ConnectCommand.self,
        InitCommand.self,
        CheckCommand.self,
        ApplyCommand.self,
        PreviewCommand.self,
        SyncCommand.self,
        StatusCommand.self,
        AuditCommand.self,
        WebhooksCommand.self,
        SecretCommand.self,
        ConvertCommand.self,
        MCPCommand.self,
        DemoCommand.self,
    ]

    static func overview() -> String {
        var text = """
            syncledger keeps records in step across SaaS systems, from an append-only event log.

            Usage: syncledger <command> [options]

            Commands:

            """
        let width = commands.map { $0.name.count }.max() ?? 0
        for command in commands {
            text +=
                "  " + command.name.padding(toLength: width + 2, withPad: " ", startingAt: 0)
                + command.summary + "\n"
        }
        text += "\nRun 'syncledger <command> --help' for a command's options.\n"
        return text
    }

    static func main() async -> Int32 {
        defer { Output.flush() }
        let words = Array(CommandLine.arguments.dropFirst())
        guard let name = words.first, !["--help", "-h", "help"].contains(name) || words.count > 1
        else {
            if words.isEmpty {
                Output.usageError(overview())
                return ExitStatus.usage
            }
            Output.line(overview())
            return ExitStatus.success
        }
        if name == "help" {
            return await main(["\(words[1])", "--help"])
        }
        return await main(words)
    }

    static func main(_ words: [String]) async -> Int32 {
        let name = words[0]
        guard let command = commands.first(where: { $0.name == name }) else {
            var message = "unknown command '\(name)'"
            if let suggestion = Arguments.closest(to: name, among: commands.map { $0.name }) {
                message += "; did you mean '\(suggestion)'?"
            }
            Output.error(message + "\nRun 'syncledger --help' for the list of commands.")
            return ExitStatus.usage
        }
        let rest = Array(words.dropFirst())
        if rest.contains("--help") || rest.contains("-h") {
            Output.line(command.help)
            return ExitStatus.success
        }
        do {
            let arguments = try Arguments(rest, specs: command.options, command: name)
            let instance = try command.init(
                arguments, environment: ProcessInfo.processInfo.environment)
            return try await instance.run()
        } catch let error as UsageError {
            Output.error(error.description)
            return ExitStatus.usage
        } catch {
            Output.error("\(error)")
            return ExitStatus.failure
        }
    }

}
