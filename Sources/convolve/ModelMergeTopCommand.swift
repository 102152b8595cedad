import ArgumentParser
import ConvolveJobs
import ConvolveBatch
import ConvolveCore
import ConvolveFormats
import ConvolveRender
import Foundation

struct ModelMergeTopCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge-top",
    abstract: "Merge the shards of `model top-patches` into its grids and index.html.",
    usage: "convolve model merge-top <outdir> <partial> ... [--input-dir <dir>]",
    discussion: """
      Each PARTIAL is a shard's output folder (holding top-k.json) or a top-k.json file. The files must come \
      from one run's settings (model or pipeline file and contents, --layer, --k, --per-photo, --channels, \
      model input, --tile) and hold each photo once; the merged top-k is the same as one run over every \
      photo, so the grids are too, byte for byte. The photos are read again from the folder the shards \
      recorded, or from --input-dir. Writes OUTDIR/top-k.json, OUTDIR/channel-NNN.png and OUTDIR/index.html.

      Example (8 shards, e.g. a Kubernetes Indexed Job or a Slurm array):
        convolve model top-patches det.onnx photos/ shard-$I/ --layer p2o.Conv.5 \\
            --shard $I/8
        convolve model merge-top top/ shard-*/
      """)

  @Argument(help: "Folder for the merged grids and index.html (created if missing).", completion: .directory) var outputDirectory: String
  @Argument(help: "The shards' folders (or their top-k.json files).", completion: .directory) var partials: [String] = []
  @Option(help: ArgumentHelp("Read the photos from this folder (default: the one the shards recorded).", valueName: "dir"), completion: .directory)
  var inputDir: String?
  @OptionGroup(title: "Photo") var load: ImageInputOptions

  func validate() throws {
    guard !partials.isEmpty else { throw ValidationError("give the shards' folders (or top-k.json files) after OUTDIR") }
  }

  func run() throws {
    let paths = partials.map { path -> String in
      var isFolder: ObjCBool = false
      return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
        ? join(path, TopPatchesFile.fileName) : path
    }
    let target = canonicalPath(join(outputDirectory, TopPatchesFile.fileName))
    if let same = paths.first(where: { canonicalPath($0) == target }) {
      throw ValidationError("OUTDIR \(outputDirectory) holds the partial file \(same); write the merge to another folder")
    }
    let files = try paths.map { (path: $0, file: try TopPatchesFile.read(path: $0)) }
    let merged = try TopPatchesFile.merged(files, inputDirectory: inputDir)
    try prepareDirectory(outputDirectory)
    try merged.write(to: join(outputDirectory, TopPatchesFile.fileName))
    let written = try writeTopPatchGrids(
      merged, inputDirectory: merged.inputDirectory, directory: outputDirectory,
      title: "What each channel of \(merged.settings.layer) looks for", load: { try self.load.load($0).tensor })
    writeStandardError(
      "merged \(files.count) file\(files.count == 1 ? "" : "s") (\(merged.photos.count) photos): \(written.count - 1) grids and \(written.last!)\n")
  }
}
