import ConvolveTestSupport
import Foundation
import Testing
import ConvolveCore
@testable import ConvolveCNN

@Suite struct ActivationTests {
  let x = Tensor(channels: 1, height: 1, width: 5, data: [-2, -1, 0, 1, 2])

  @Test func knownValues() throws {
    #expect(try Activation.relu.apply(to: x).data == [0, 0, 0, 1, 2])
    #expect(try Activation.leakyReLU().apply(to: x).data == [-0.02, -0.01, 0, 1, 2])
    #expect(try Activation.leakyReLU(slope: 0.2).apply(to: x).data == [-0.4, -0.2, 0, 1, 2])
    let sigmoid = try Activation.sigmoid.apply(to: x).data
    #expect(sigmoid[2] == 0.5)
    #expect(abs(sigmoid[4] - 1 / (1 + Float(exp(-2.0)))) < 1e-7)
    #expect(abs(sigmoid[0] + sigmoid[4] - 1) < 1e-7)
    #expect(Activation.sigmoid(-200) == 0 && Activation.sigmoid(200) == 1)
    let tanh = try Activation.tanh.apply(to: x).data
    #expect(tanh[2] == 0 && abs(tanh[3] - 0.7615942) < 1e-6 && tanh[1] == -tanh[3])
    let elu = try Activation.elu().apply(to: x).data
    #expect(abs(elu[1] - Float(exp(-1.0) - 1)) < 1e-7)
    #expect(elu[3] == 1 && elu[2] == 0)
    #expect(abs(try Activation.elu(alpha: 0.5).apply(to: x).data[0] - Float(0.5 * (exp(-2.0) - 1))) < 1e-7)
    #expect(try Activation.identity.apply(to: x) == x)
  }

  @Test func maxoutTakesTheMaxOfConsecutiveChannels() throws {
    let four = Tensor(planes: [[[1, -5]], [[0, 7]], [[-2, -3]], [[-1, -4]]])
    let pairs = try Activation.maxout(groupSize: 2).apply(to: four)
    #expect(pairs.channels == 2 && pairs.data == [1, 7, -1, -3])
    #expect(try Activation.maxout(groupSize: 4).apply(to: four).data == [1, 7])
    let message = thrownMessage { try Activation.maxout(groupSize: 3).apply(to: four) }
    #expect(message?.contains("3") == true && message?.contains("4 input channels") == true)
  }

  @Test func parsing() throws {
    #expect(try Activation(parsing: "relu") == .relu)
    #expect(try Activation(parsing: "leaky-relu") == .leakyReLU(slope: 0.01))
    #expect(try Activation(parsing: "leaky-relu:0.2") == .leakyReLU(slope: 0.2))
    #expect(try Activation(parsing: "ELU:1.0") == .elu(alpha: 1))
    #expect(try Activation(parsing: "elu") == .elu(alpha: 1))
    #expect(try Activation(parsing: "maxout:2") == .maxout(groupSize: 2))
    #expect(try Activation(parsing: "sigmoid") == .sigmoid)
    #expect(try Activation(parsing: "tanh") == .tanh)
    #expect(try Activation(parsing: "identity") == .identity)
    for a in [Activation.relu, .leakyReLU(slope: 0.3), .elu(alpha: 2), .maxout(groupSize: 3), .sigmoid, .tanh, .identity] {
      #expect(try Activation(parsing: a.description) == a)
    }
    #expect(thrownMessage { try Activation(parsing: "swish") }?.contains("swish") == true)
    #expect(thrownMessage { try Activation(parsing: "maxout") }?.contains("group size") == true)
    #expect(thrownMessage { try Activation(parsing: "leaky-relu:abc") }?.contains("abc") == true)
    #expect(thrownMessage { try Activation(parsing: "relu:2") } != nil)
  }
}
