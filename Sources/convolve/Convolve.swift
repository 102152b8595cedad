import ArgumentParser
import ConvolveJobs
import ConvolveBatch
import ConvolveCNN
import ConvolveCore
import ConvolveFormats
import ConvolveLecture
import ConvolveRender
import Foundation

@main
struct Convolve: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Image filtering and CNN layers on PNG and JPEG photos.",
    discussion: """
      Images load as planar Float32 tensors (channels x height x width) with values in [0, 1] for \
      every bit depth; results stay Float32 until an output step maps them to 8 or 16 bits.
      `filter` CONVOLVES (the kernel is flipped, as in the lecture); pass --correlate to slide it unflipped.

      Exit status: 0 on success, 64 for a usage or value error (an unknown option, filter or command, a \
      value out of range, a size or stride that does not fit), 1 for a file that cannot be read, decoded \
      or written or whose content is wrong (with `batch`: any file failed), 130/143 for an interrupted batch.
      """,
    version: "0.1.0",
    subcommands: [
      FilterCommand.self, FiltersCommand.self, InfoCommand.self, LayerCommand.self, RunCommand.self, ModelCommand.self,
      PoolCommand.self, UpsampleCommand.self, ExplainCommand.self, ShapeCommand.self, BatchCommand.self,
    ]
  )

  /// Parses and runs the command, with one error contract for all of them (`ErrorContract`).
  static func main() {
    prepareAllocator()
    let arguments = Array(CommandLine.arguments.dropFirst())
    if let (error, command) = ErrorContract.unknownSubcommand(in: arguments) {
      ErrorContract.exitForUsage(error.message, command: command)
    }
    var command: ParsableCommand
    do {
      command = try parseAsRoot(arguments)
    } catch {
      // `---completion`: a shell asking for custom completions (filter names), which the parser answers.
      if arguments.first == "---completion" { exit(withError: error) }
      let target = ErrorContract.command(named: arguments)
      if let message = ErrorContract.unknownOption(in: arguments, command: target) {
        ErrorContract.exitForUsage(message, command: target)
      }
      exit(withError: error)
    }
    do {
      try command.run()
    } catch {
      ErrorContract.exit(for: error, command: type(of: command))
    }
  }
}

/// How every command ends on an error:
///
/// - exit 64 (`EX_USAGE`) for a usage or value error, printed as `Error: <message>`, then the command's usage
///   line and where to find its help: what the parser rejects, a `ValidationError`, and a
///   `ConvolveError` other than `.file` from a library call made with the user's values (an unknown filter,
///   `--activation gelu`, a stride that does not fit the photo, an output beyond the size limit);
/// - exit 1 for a file error, one line naming the file: `ConvolveError.file` (anything else goes to the parser's
///   own handling: help, `ExitCode`, other errors as exit 1). Loaders
///   report what is wrong inside a file as `.file`, and commands run a file's content (weights, a pipeline,
///   a model) through `fileContent(_:_:)`, so a value error found there names the file and exits 1.
enum ErrorContract {
  static let usageStatus: Int32 = 64

  /// A `ValidationError`, or a `ConvolveError` of any kind but `.file` (a value out of range, sizes that do
  /// not fit, a size beyond a limit).
  static func isUsageError(_ error: Error) -> Bool {
    switch error {
    case is ValidationError: return true
    case let error as ConvolveError:
      if case .file = error { return false }
      return true
    default: return false
    }
  }

  static func message(_ error: Error) -> String {
    switch error {
    case let e as ValidationError: return e.message
    case let e as ConvolveError: return e.description
    default: return "\(error)"
    }
  }

  static func exit(for error: Error, command: ParsableCommand.Type) -> Never {
    if isUsageError(error) { exitForUsage(message(error), command: command) }
    guard let error = error as? ConvolveError else {
      // The parser's own errors and requests (help, version, ExitCode): as it handles them.
      Convolve.exit(withError: error)
    }
    writeStandardError("Error: \(error.description)\n")
    Foundation.exit(1)
  }

  /// Prints the message, the command's usage line and a pointer to its help, and exits with 64.
  static func exitForUsage(_ message: String, command: ParsableCommand.Type) -> Never {
    let name = commandPath(command)
    writeStandardError(
      "Error: \(message)\n\(usage(command))\n  See '\(name) --help' for more information.\n")
    Foundation.exit(usageStatus)
  }

  /// `Usage: convolve filter [<options>] ...` as the parser prints it.
  static func usage(_ command: ParsableCommand.Type) -> String {
    let text = command == Convolve.self ? Convolve.usageString() : Convolve.usageString(for: command)
    return "Usage: " + text.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// `convolve model run` for `ModelRunCommand`.
  static func commandPath(_ command: ParsableCommand.Type) -> String {
    var names = ["convolve"]
    func find(_ parent: ParsableCommand.Type, _ path: [String]) -> [String]? {
      for sub in parent.configuration.subcommands {
        let next = path + [sub._commandName]
        if sub == command { return next }
        if let found = find(sub, next) { return found }
      }
      return nil
    }
    if command != Convolve.self { names = find(Convolve.self, names) ?? names }
    return names.joined(separator: " ")
  }

  /// The command the leading words of `arguments` name (`Convolve` itself when they name none).
  static func command(named arguments: [String]) -> ParsableCommand.Type {
    var command: ParsableCommand.Type = Convolve.self
    for word in arguments {
      guard let sub = command.configuration.subcommands.first(where: { $0._commandName == word }) else { break }
      command = sub
    }
    return command
  }

  /// When parsing failed: the first option word `command` does not know, as a usage message with the closest
  /// option it has (a misspelling), or, for one dash before a long name (ImageMagick's `-blur`), the two dashes
  /// convolve's long options take. Nil when every option word is known (the parser's own message stands).
  static func unknownOption(in arguments: [String], command: ParsableCommand.Type) -> String? {
    guard let json = try? JSONSerialization.jsonObject(with: Data(command._dumpHelp().utf8)) as? [String: Any],
      let arguments0 = (json["command"] as? [String: Any])?["arguments"] as? [[String: Any]]
    else { return nil }
    let names = arguments0.flatMap { $0["names"] as? [[String: Any]] ?? [] }
    let long = names.filter { $0["kind"] as? String == "long" }.compactMap { $0["name"] as? String }
    let known = Set(long + ["help", "version", "generate-completion-script", "experimental-dump-help"])
    let path = commandPath(command)
    for word in arguments.prefix(while: { $0 != "--" }) {
      if word.hasPrefix("--") {
        let name = String(word.dropFirst(2).prefix { $0 != "=" })
        guard !name.isEmpty, !known.contains(name) else { continue }
        let hint = closestName(to: name, in: long).map { "; did you mean '--\($0)'?" } ?? ""
        return "unknown option '--\(name)'\(hint) (see '\(path) --help')"
      }
      let name = word.dropFirst()
      if word.hasPrefix("-"), name.count >= 3, name.allSatisfy({ $0.isLetter || $0 == "-" }) {
        if known.contains(String(name)) { return "'\(word)' has one dash; write '--\(name)'" }
        // ImageMagick's operators that have a filter of the library.
        let magick = [
          "blur": "--filter gaussian --sigma S", "gaussian-blur": "--filter gaussian --sigma S",
          "sharpen": "--filter sharpen", "unsharp": "--filter unsharp --sigma S --amount A", "edge": "--filter edge-detect",
          "emboss": "--filter emboss", "morphology": "--kernel \"...\"", "convolve": "--kernel \"...\"",
        ]
        let hint = magick[String(name)].map { " (ImageMagick's \(word) is \($0) here)" }
          ?? closestName(to: String(name), in: long).map { " (the closest is '--\($0)')" } ?? ""
        return "'\(word)' is not an option of \(path): its long options start with two dashes\(hint); see '\(path) --help'"
      }
    }
    return nil
  }

  /// A first word (or `model`'s second, or one after `help`) that names no command: the error, with a suggestion
  /// when one is close.
  static func unknownSubcommand(in arguments: [String]) -> (ValidationError, ParsableCommand.Type)? {
    var parent: ParsableCommand.Type = Convolve.self
    for word in arguments {
      let subcommands = parent.configuration.subcommands
      guard !subcommands.isEmpty, !word.hasPrefix("-") else { return nil }
      let names = subcommands.map { $0._commandName }
      if let index = names.firstIndex(of: word) {
        parent = subcommands[index]
        continue
      }
      // `help filtr`: the words after `help` name a command too.
      if word == "help" { continue }
      let hint = closestName(to: word, in: names).map { "; did you mean '\($0)'?" } ?? ""
      let list = names.joined(separator: ", ")
      return (ValidationError("unknown command '\(word)'\(hint) (commands: \(list))"), parent)
    }
    return nil
  }
}

