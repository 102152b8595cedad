import ArgumentParser

struct ModelCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "model",
    abstract: "Run trained ONNX networks on photos and see what every layer sees.",
    discussion: """
      ONNX files come from torch.onnx.export, tf2onnx, paddle2onnx and most model zoos. Operators run as \
      ONNX Runtime runs them (NCHW, Float32); `model info` lists any the file uses that convolve lacks.

      Examples:
        convolve model info det.onnx --size 640x640
        convolve model run det.onnx photo.jpg out/ --bgr --mean 0.5 --std 0.5
        convolve model run det.onnx photo.jpg out/ --bgr --mean 0.5 --std 0.5 \\
            --layers 'Conv' --report
        convolve model top-patches det.onnx photos/ top/ --layer p2o.Conv.12 \\
            --bgr --mean 0.5 --std 0.5
      """,
    subcommands: [ModelInfoCommand.self, ModelRunCommand.self, ModelTopPatchesCommand.self, ModelMergeTopCommand.self, ModelCamCommand.self]
  )
}
