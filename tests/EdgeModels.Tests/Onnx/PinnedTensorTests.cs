using Edge.Models.Onnx;

namespace Edge.Models.Tests.Onnx;

public class PinnedTensorTests
{
    [Fact]
    public void Reshape_returns_exactly_the_shape_and_grows_only_past_capacity()
    {
        var tensor = new PinnedTensor<float>(10);

        var six = tensor.Reshape(2, 3);
        Assert.Equal(6, six.Length);
        Assert.Equal(10, tensor.Capacity);
        Assert.Equal([2L, 3], tensor.Shape.ToArray());

        var sixteen = tensor.Reshape(1, 4, 4);
        Assert.Equal(16, sixteen.Length);
        Assert.Equal(16, tensor.Capacity);
        Assert.Equal(16, tensor.Span.Length);

        Assert.Equal(0, tensor.Reshape(0, 5).Length);
        Assert.Equal(16, tensor.Capacity);
    }

    [Fact]
    public void Element_types_map_to_onnx_types()
    {
        Assert.Equal(TensorElementType.Float, new PinnedTensor<float>(1).ElementType);
        Assert.Equal(TensorElementType.UInt8, new PinnedTensor<byte>(1).ElementType);
        Assert.Equal(TensorElementType.Int8, new PinnedTensor<sbyte>(1).ElementType);
        Assert.Equal(TensorElementType.Int32, new PinnedTensor<int>(1).ElementType);
        Assert.Equal(TensorElementType.Int64, new PinnedTensor<long>(1).ElementType);
    }

    [Fact]
    public void Unsupported_element_types_are_rejected_by_the_constructor()
    {
        var e = Assert.Throws<NotSupportedException>(() => new PinnedTensor<double>(4));
        Assert.Contains("Double", e.Message);
        Assert.Throws<NotSupportedException>(() => new PinnedTensor<short>(4));
    }

    [Fact]
    public void Negative_dims_and_capacity_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PinnedTensor<float>(-1));
        var tensor = new PinnedTensor<float>(4);
        Assert.Throws<ArgumentOutOfRangeException>(() => tensor.Reshape(2, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => tensor.Reshape(1 << 20, 1 << 20));
    }
}
