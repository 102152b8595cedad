import ConvolveTestSupport
import Foundation
import Testing

/// Issue 24 item 8: every argument that names a file or folder completes paths in bash, zsh and fish.
@Suite struct CompletionScriptTests {
  /// Positional arguments that are no paths: filter names, `shape`'s size and stages, `help`'s command.
  static let notPaths: Set<String> = ["filters names", "shape input", "shape stages", "help subcommands"]

  /// Every positional argument, and every option whose value is a file or a folder, with its command path and
  /// the JSON the parser describes it with.
  static func pathArguments() throws -> [(command: [String], name: String, json: [String: Any])] {
    var found: [([String], String, [String: Any])] = []
    for (path, json) in try HelpContractTests.commands() {
      for argument in json["arguments"] as? [[String: Any]] ?? [] {
        let kind = argument["kind"] as? String
        let valueName = argument["valueName"] as? String ?? ""
        let name = ((argument["names"] as? [[String: Any]])?.last?["name"] as? String) ?? valueName
        let isPath = kind == "positional"
          ? !notPaths.contains((path + [valueName]).joined(separator: " "))
          : kind == "option" && ["file", "folder", "dir", "directory", "path"].contains(valueName)
        if isPath { found.append((path, name, argument)) }
      }
    }
    return found
  }

  @Test func everyPathArgumentCompletesFilesOrFolders() throws {
    let arguments = try Self.pathArguments()
    #expect(arguments.count >= 30, "\(arguments.count)")
    for (command, name, json) in arguments {
      let completion = json["completionKind"] as? [String: Any] ?? [:]
      #expect(
        completion["file"] != nil || completion["directory"] != nil,
        "convolve \(command.joined(separator: " ")) \(name): completes \(completion.isEmpty ? "nothing" : "\(completion)")")
    }
  }

  /// The scripts the parser generates (and install.sh installs) offer files where the arguments say so: zsh's
  /// `_files`, fish's `-F` or its file list.
  @Test func zshAndFishScriptsCompletePaths() throws {
    let zsh = try runConvolve(["--generate-completion-script", "zsh"]).stdout
    let fish = try runConvolve(["--generate-completion-script", "fish"]).stdout
    #expect(zsh.contains("#compdef convolve") && fish.contains("complete -c 'convolve'"))
    var positions: [String: Int] = [:]
    for (command, name, json) in try Self.pathArguments() {
      let where_ = "convolve \(command.joined(separator: " ")) \(name)"
      let function = (["_convolve"] + command).joined(separator: "_")
      let context = "\"" + (["convolve"] + command).joined(separator: " ") + "\""
      let body = try #require(functionBody(function, in: zsh), "\(function) not in the zsh script")
      let valueName = json["valueName"] as? String ?? ""
      let zshPath = ":\(valueName):_files"
      if json["kind"] as? String == "positional" {
        let index = positions[command.joined(separator: " "), default: 0] + 1
        positions[command.joined(separator: " ")] = index
        #expect(body.contains("'\(zshPath)") || body.contains("'*\(zshPath)"), "zsh: \(where_)\n\(body)")
        let line = fish.split(separator: "\n").first {
          $0.contains("positional \(context) -eq \(index)'") || $0.contains("positional \(context) -ge \(index)'")
        }
        #expect(line.map(offersFiles) == true, "fish: \(where_): \(line ?? "no line")")
      } else {
        #expect(body.contains("--\(name)") && body.contains(zshPath), "zsh: \(where_)")
        let line = fish.split(separator: "\n").first { $0.contains("options \(context)") && $0.contains(" -l '\(name)' ") }
        #expect(line.map(offersFiles) == true, "fish: \(where_): \(line ?? "no line")")
      }
    }
  }

  /// The body of the shell function `name` in `script`.
  private func functionBody(_ name: String, in script: String) -> String? {
    guard let start = script.range(of: "\n\(name)() {\n") else { return nil }
    let rest = script[start.upperBound...]
    return String(rest[..<(rest.range(of: "\n}\n")?.lowerBound ?? rest.endIndex)])
  }

  /// A fish completion line that offers files or folders.
  private func offersFiles(_ line: Substring) -> Bool {
    line.hasSuffix(" -F") || line.hasSuffix(" -rF") || line.contains("complete_directories")
  }
}

extension CompletionScriptTests {
  /// The shells ask the binary for library names (`convolve ---completion filter -- --filter ...`): the bash
  /// script, sourced as bash-completion does, completes `--filter sob` and `filters edg`.
  @Test func theScriptsGetLibraryNamesFromTheBinary() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let script = dir.appendingPathComponent("convolve.bash")
    try Data(try runConvolve(["--generate-completion-script", "bash"]).stdout.utf8).write(to: script)
    let complete = """
      source "$1"; shift
      COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
      _convolve "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
      printf '%s\\n' "${COMPREPLY[@]}"
      """
    func completions(_ words: [String]) throws -> [Substring] {
      var environment = ProcessInfo.processInfo.environment
      environment["PATH"] = convolveBinary.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
      let r = try runProcess("/bin/bash", ["-c", complete, "complete", script.path] + words, in: dir, environment: environment)
      return r.stdout.split(separator: "\n")
    }
    #expect(try completions(["convolve", "filter", "a.png", "b.png", "--filter", "sob"]) == ["sobel", "sobel-x", "sobel-y"])
    #expect(try completions(["convolve", "filters", "edges-l"]) == ["edges-l2", "edges-l2-bias"])
  }
}
