import ConvolveCore
import ConvolveFormats
import ConvolveTestSupport
import Foundation
import Testing

/// One `convolve …` command from a ```sh block of README.md, continuation lines joined, as written.
struct ReadmeCommand: Sendable, CustomTestStringConvertible {
  /// What a command needs beyond a fresh checkout.
  enum Needs: Sendable { case nothing, models, gnuParallel }

  let line: Int
  let text: String

  var testDescription: String { "README.md:\(line): \(text)" }

  var needs: Needs {
    if text.hasPrefix("parallel ") { return .gnuParallel }
    return text.contains(".onnx") ? .models : .nothing
  }

  /// Whether the command reads a photo: it runs once per sample photo, else once.
  var usesPhoto: Bool {
    ReadmeSubstitutions.photoPlaceholders.contains { text.contains($0) } || text.contains("photos/")
      || text.contains("/scratch/in") || text.hasPrefix("parallel ")
  }
}

/// The README's placeholder file names and what each becomes in the temporary folder the commands run in.
/// A command that names a file not in this table fails: add the file here when the README gains one.
enum ReadmeSubstitutions {
  /// Replaced by the sample photo's path.
  static let photoPlaceholders = ["photo.jpg", "photo.png", "line.png"]
  /// Made from the sample photo in the temporary folder before each command: `small.png` (the photo as
  /// PNG), `scan16.png` (the photo as 16-bit PNG), `my-kernel.json` (a copy of `Filters/emboss.json`),
  /// `photos/` and `in/` (folders holding the photo).
  static let madeFiles = ["small.png", "scan16.png", "my-kernel.json", "emboss.mat", "photos/", "in/"]
  /// Trained models in `../shared/models`: PaddleOCR's detector and direction classifier, EfficientNet-Lite0
  /// with its labels.
  static let models: [String: String] = [
    "model.onnx": "ppocr/ch_PP-OCRv4_det_infer.onnx",
    "ch_PP-OCRv4_det_infer.onnx": "ppocr/ch_PP-OCRv4_det_infer.onnx",
    "ch_ppocr_mobile_v2.0_cls_infer.onnx": "ppocr/ch_ppocr_mobile_v2.0_cls_infer.onnx",
    "efficientnet-lite0.onnx": "efficientnet-lite0/efficientnet-lite0.onnx",
    "imagenet-labels.txt": "efficientnet-lite0/imagenet-labels.txt",
  ]
  static let modelsFolder = sharedFolder.appendingPathComponent("models")
  /// Plain text replacements: the Slurm script's folders.
  static let paths = ["/scratch/in": "photos", "/scratch/out": "scratch-out"]
  /// The Slurm script's environment.
  static let environment = ["SLURM_CPUS_PER_TASK": "1", "SLURM_ARRAY_TASK_ID": "0", "JOB_COMPLETION_INDEX": "0"]

  /// `text` with every placeholder replaced: whole words only (`photo.jpg`, not `photos/`).
  static func apply(_ text: String, photo: String) -> String {
    var result = text
    func replaceWord(_ word: String, _ with: String) {
      let pattern = "(?<=^|[\\s\"'=])" + NSRegularExpression.escapedPattern(for: word) + "(?=$|[\\s\"'])"
      let regex = try! NSRegularExpression(pattern: pattern)
      result = regex.stringByReplacingMatches(
        in: result, range: NSRange(result.startIndex..., in: result), withTemplate: NSRegularExpression.escapedTemplate(for: with))
    }
    for placeholder in photoPlaceholders { replaceWord(placeholder, photo) }
    for (placeholder, file) in models { replaceWord(placeholder, modelsFolder.appendingPathComponent(file).path) }
    for (from, to) in paths { result = result.replacingOccurrences(of: from, with: to) }
    return result
  }

  /// Makes the files `madeFiles` lists in `folder` from `photo`.
  static func prepare(_ folder: URL, photo: String) throws {
    let image = try loadImage(path: photo).tensor
    try saveImage(image, path: folder.appendingPathComponent("small.png").path)
    try saveImage(image, path: folder.appendingPathComponent("scan16.png").path, bitDepth: 16)
    try FileManager.default.copyItem(
      at: packageRoot.appendingPathComponent("Filters/emboss.json"), to: folder.appendingPathComponent("my-kernel.json"))
    // A libvips matrix file: width, height, scale, offset, then the rows.
    try Data("3 3 1 128\n-2 -1 0\n-1 1 1\n0 1 2\n".utf8).write(to: folder.appendingPathComponent("emboss.mat"))
    for sub in ["photos", "in"] {
      let dir = folder.appendingPathComponent(sub)
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      try FileManager.default.copyItem(atPath: photo, toPath: dir.appendingPathComponent(lastComponent(photo)).path)
    }
  }
}

/// The commands of README.md's ```sh blocks, in order.
let readmeCommands: [ReadmeCommand] = {
  guard let text = try? String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8) else {
    return []
  }
  var commands: [ReadmeCommand] = []
  var inShell = false
  var pending: (line: Int, text: String)?
  for (index, raw) in text.components(separatedBy: "\n").enumerated() {
    let line = raw.trimmingCharacters(in: .whitespaces)
    if line.hasPrefix("```") {
      inShell = !inShell && line == "```sh"
      pending = nil
      continue
    }
    guard inShell else { continue }
    var joined = pending.map { $0.text + " " + line } ?? line
    let start = pending?.line ?? index + 1
    if joined.hasSuffix("\\") {
      joined.removeLast()
      pending = (start, joined.trimmingCharacters(in: .whitespaces))
      continue
    }
    pending = nil
    if joined.hasPrefix("convolve ") || (joined.hasPrefix("parallel ") && joined.contains(" convolve ")) {
      commands.append(ReadmeCommand(line: start, text: joined))
    }
  }
  return commands
}()

let samplePhotos: [String] = {
  let folder = packageRoot.appendingPathComponent("SampleImages")
  let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
  return names.filter { [".png", ".jpg", ".jpeg"].contains(where: $0.lowercased().hasSuffix) }.sorted()
    .map { folder.appendingPathComponent($0).path }
}()

private let modelsPresent = ReadmeSubstitutions.models.values.allSatisfy {
  FileManager.default.fileExists(atPath: ReadmeSubstitutions.modelsFolder.appendingPathComponent($0).path)
}

private let gnuParallelOnPath = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
  FileManager.default.isExecutableFile(atPath: "\($0)/parallel")
}

/// `scripts/install.sh --binary <this build's convolve> PREFIX` into a folder outside the checkout, once per test
/// run: the layout, library and completions of an install, without the minutes of a static release build
/// (`InstallTests` makes that one). The same PREFIX for every run of this checkout, replaced each time.
let readmeInstall: Result<URL, InstallFailure> = {
  do {
    let checkout = String(UInt32(truncatingIfNeeded: packageRoot.path.utf8.reduce(5381) { ($0 << 5) &+ $0 &+ Int($1) }), radix: 16)
    let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("convolve-readme-install-\(checkout)")
    let r = try runProcess(
      "/bin/bash", [packageRoot.appendingPathComponent("scripts/install.sh").path, "--binary", convolveBinary.path, prefix.path],
      in: packageRoot, mergeOutput: true)
    guard r.status == 0 else { return .failure(InstallFailure(output: r.stdout)) }
    return .success(prefix)
  } catch {
    return .failure(InstallFailure(output: "\(error)"))
  }
}()

struct InstallFailure: Error { var output: String }

/// Every `convolve …` command in README.md runs as written (placeholders substituted, see
/// `ReadmeSubstitutions`) on every sample photo, from a temporary folder outside the checkout, and exits 0:
/// with this build's `convolve` on the PATH, and with an installed one (`readmeInstall`).
@Suite struct ReadmeCommandTests {
  @Test func theReadmeHasTheCommandsThisTestRuns() {
    #expect(readmeCommands.count >= 25, "\(readmeCommands.count) commands found")
    #expect(samplePhotos.count == 4)
    for expected in ["convolve layer photo.jpg out/ --weights", "convolve shape 7x7x1 conv:1:3:s=3", "convolve batch /scratch/in"] {
      #expect(readmeCommands.contains { $0.text.hasPrefix(expected) }, "\(expected)")
    }
    #expect(ReadmeSubstitutions.apply("convolve filter photo.jpg photos/ line.png", photo: "/p.jpg")
      == "convolve filter /p.jpg photos/ /p.jpg")
  }

  @Test(arguments: readmeCommands.filter { $0.needs == .nothing })
  func runsAsWritten(_ command: ReadmeCommand) throws {
    try run(command)
  }

  @Test(arguments: readmeCommands.filter { $0.needs == .nothing })
  func runsAsWrittenWithTheInstalledTool(_ command: ReadmeCommand) throws {
    switch readmeInstall {
    case .success(let prefix): try run(command, bin: prefix.appendingPathComponent("bin"))
    case .failure(let failure): Issue.record("scripts/install.sh --binary failed:\n\(failure.output)")
    }
  }

  @Test(
    .enabled(if: modelsPresent, "the trained models are not in ../shared/models (see its README)"),
    arguments: readmeCommands.filter { $0.needs == .models })
  func runsAsWrittenWithTheModels(_ command: ReadmeCommand) throws {
    try run(command)
  }

  @Test(
    .enabled(if: gnuParallelOnPath, "GNU parallel is not installed"),
    arguments: readmeCommands.filter { $0.needs == .gnuParallel })
  func runsAsWrittenWithGNUParallel(_ command: ReadmeCommand) throws {
    try run(command)
  }

  /// Runs the command through `sh -c` with `convolve` from `bin` on the PATH, once per sample photo (or once), each
  /// time in a fresh temporary folder holding the made files.
  private func run(_ command: ReadmeCommand, bin: URL = convolveBinary.deletingLastPathComponent()) throws {
    for photo in command.usesPhoto ? samplePhotos : [samplePhotos[0]] {
      let folder = try temporaryDirectory()
      defer { try? FileManager.default.removeItem(at: folder) }
      try ReadmeSubstitutions.prepare(folder, photo: photo)
      let text = ReadmeSubstitutions.apply(command.text, photo: photo)
      var environment = ProcessInfo.processInfo.environment
      environment["PATH"] = bin.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
      let result = try runProcess(
        "/bin/sh", ["-c", text], in: folder, environment: environment, extraEnvironment: ReadmeSubstitutions.environment)
      #expect(
        result.status == 0,
        "README.md:\(command.line) on \(lastComponent(photo)): \(text)\n\(result.stderr)\(String(result.stdout.suffix(2000)))")
      #expect(!result.stderr.contains("Fatal error"))
    }
  }
}
