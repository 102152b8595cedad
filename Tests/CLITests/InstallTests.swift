import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// `scripts/install.sh PREFIX`, then the installed tool used from elsewhere with no toolchain on PATH.
///
/// The release build with a static Swift runtime takes several minutes on the 2-core machine, too long for
/// every test run: the test runs when CONVOLVE_INSTALL_TEST=1 (`CONVOLVE_INSTALL_TEST=1 swift test --skip-build
/// --filter InstallTests`). It builds in .build-install/, so a second run only relinks what changed.
@Suite struct InstallTests {
  static let enabled = ProcessInfo.processInfo.environment["CONVOLVE_INSTALL_TEST"] == "1"

  struct Result {
    var status: Int32
    var output: String
  }

  /// Runs `command` with `arguments` in `directory`, with exactly `environment`; stdout and stderr together.
  func run(_ command: String, _ arguments: [String], in directory: URL, environment: [String: String]) throws -> Result {
    let result = try runProcess(command, arguments, in: directory, environment: environment, mergeOutput: true)
    return Result(status: result.status, output: result.stdout)
  }

  @Test(.enabled(if: enabled, "set CONVOLVE_INSTALL_TEST=1: builds a static release (minutes)"), .timeLimit(.minutes(30)))
  func installedToolRunsFromAnywhereWithoutTheToolchain() throws {
    let root = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let prefix = root.appendingPathComponent("prefix with space")
    let install = try run(
      "/bin/bash", [packageRoot.appendingPathComponent("scripts/install.sh").path, prefix.path], in: packageRoot,
      environment: ProcessInfo.processInfo.environment)
    #expect(install.status == 0, "\(install.output)")
    #expect(install.output.contains("installed convolve"))

    let binary = prefix.appendingPathComponent("bin/convolve").path
    let share = prefix.appendingPathComponent("share")
    for file in [
      "convolve/Filters/sobel.json", "convolve/Filters/layers/README.md", "convolve/Filters/pipelines/edges.json",
      "bash-completion/completions/convolve", "zsh/site-functions/_convolve", "fish/vendor_completions.d/convolve.fish",
    ] {
      #expect(FileManager.default.fileExists(atPath: share.appendingPathComponent(file).path), "\(file) missing")
    }

    // No Swift runtime library is loaded from the toolchain: ldd lists no libswift*/libFoundation*.
    let ldd = try run("/usr/bin/ldd", [binary], in: root, environment: ["PATH": "/usr/bin:/bin"])
    #expect(ldd.status == 0 && !ldd.output.contains("libswift") && !ldd.output.contains("libFoundation"), "\(ldd.output)")

    // Elsewhere, with only the prefix and the system on PATH (the toolchain is in /opt/swift here).
    let elsewhere = root.appendingPathComponent("work")
    try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      atPath: packageRoot.appendingPathComponent("SampleImages/camera.png").path,
      toPath: elsewhere.appendingPathComponent("photo.png").path)
    let env = ["PATH": prefix.appendingPathComponent("bin").path + ":/usr/bin:/bin", "HOME": root.path]
    let which = try run("/bin/sh", ["-c", "command -v swift || echo none"], in: elsewhere, environment: env)
    #expect(which.output.trimmingCharacters(in: .whitespacesAndNewlines) == "none", "swift is on the test PATH")

    let filters = try run("/bin/sh", ["-c", "convolve filters"], in: elsewhere, environment: env)
    #expect(filters.status == 0, "\(filters.output)")
    #expect(filters.output.contains("Filters in \(share.appendingPathComponent("convolve/Filters").path)"))
    for name in ["sobel", "gaussian", "laplacian8", "unsharp-mask"] { #expect(filters.output.contains("  \(name) ")) }

    // The library's layers and pipelines by name.
    let filtered = try run(
      "/bin/sh", ["-c", "convolve filter photo.png edges.png --filter sobel && convolve run edges photo.png maps "
        + "&& convolve layer photo.png layer --weights edges --bias edges-bias --padding same"],
      in: elsewhere, environment: env)
    #expect(filtered.status == 0, "\(filtered.output)")
    let edges = try loadImage(path: elsewhere.appendingPathComponent("edges.png").path)
    #expect(edges.info.width == 512 && edges.info.height == 512)
    #expect(edges.tensor.data.contains { $0 > 0.5 } && edges.tensor.data.contains { $0 < 0.05 })
    #expect(try !FileManager.default.contentsOfDirectory(atPath: elsewhere.appendingPathComponent("maps").path).isEmpty)
    #expect(FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent("layer/photo-conv.png").path))

    // The installed bash completion completes library filter names (by calling the binary back) and files.
    let complete = """
      source "$1"; shift
      COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
      _convolve "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
      printf '%s\\n' "${COMPREPLY[@]}"
      """
    let script = share.appendingPathComponent("bash-completion/completions/convolve").path
    let names = try run(
      "/bin/bash", ["-c", complete, "complete", script, "convolve", "filter", "photo.png", "x.png", "--filter", "sob"],
      in: elsewhere, environment: env)
    #expect(names.output.split(separator: "\n") == ["sobel", "sobel-x", "sobel-y"], "\(names.output)")
    let files = try run(
      "/bin/bash", ["-c", complete, "complete", script, "convolve", "filter", "pho"], in: elsewhere, environment: env)
    #expect(files.output.split(separator: "\n") == ["photo.png"], "\(files.output)")

    // Uninstall removes everything it installed.
    let removed = try run(
      "/bin/bash", [packageRoot.appendingPathComponent("scripts/install.sh").path, "--uninstall", prefix.path],
      in: packageRoot, environment: ProcessInfo.processInfo.environment)
    #expect(removed.status == 0, "\(removed.output)")
    #expect(!FileManager.default.fileExists(atPath: binary))
    #expect(!FileManager.default.fileExists(atPath: share.appendingPathComponent("convolve").path))
  }
}
