using System.Buffers;
using Edge.Models.Imaging;

namespace Edge.Models.Detection;

/// <summary>How an image is fitted into the model's input.</summary>
public enum ResizeMode
{
    /// <summary>Keep the aspect ratio, centre the image and pad the rest (Ultralytics' LetterBox).</summary>
    Letterbox,
    /// <summary>Scale each axis to the input size, no padding (PaddleDetection's Resize with keep_ratio false).</summary>
    Stretch,
}

/// <summary>
/// Where an image of SourceWidth×SourceHeight went inside an InputWidth×InputHeight tensor: resized to
/// ResizedWidth×ResizedHeight with its top-left corner at (PadLeft, PadTop). Maps boxes both ways.
/// </summary>
public readonly record struct LetterboxTransform(
    int SourceWidth, int SourceHeight, int InputWidth, int InputHeight,
    int ResizedWidth, int ResizedHeight, int PadLeft, int PadTop)
{
    /// <summary>Input pixels per source pixel along x: the resize actually done, not the ideal ratio (they differ by the rounding of the resized size).</summary>
    public float ScaleX => (float)ResizedWidth / SourceWidth;
    public float ScaleY => (float)ResizedHeight / SourceHeight;

    public int PadRight => InputWidth - ResizedWidth - PadLeft;
    public int PadBottom => InputHeight - ResizedHeight - PadTop;

    /// <summary>
    /// Ultralytics' letterbox into a fixed input: ratio = min(inW/w, inH/h); resized = round(side·ratio)
    /// (round half to even, as Python does); padding split with the odd pixel at the bottom/right.
    /// </summary>
    public static LetterboxTransform Fit(int sourceWidth, int sourceHeight, int inputWidth, int inputHeight)
    {
        CheckSizes(sourceWidth, sourceHeight, inputWidth, inputHeight);
        double ratio = Math.Min((double)inputHeight / sourceHeight, (double)inputWidth / sourceWidth);
        int w = Math.Clamp((int)Math.Round(sourceWidth * ratio, MidpointRounding.ToEven), 1, inputWidth);
        int h = Math.Clamp((int)Math.Round(sourceHeight * ratio, MidpointRounding.ToEven), 1, inputHeight);
        // Ultralytics: top = round(dh - 0.1), bottom = round(dh + 0.1) with dh = pad / 2, i.e. floor for the top.
        return new(sourceWidth, sourceHeight, inputWidth, inputHeight, w, h, (inputWidth - w) / 2, (inputHeight - h) / 2);
    }

    /// <summary>
    /// For a model with dynamic height and width: the longer side scaled to <paramref name="maxSide"/>, and
    /// the input the smallest multiple of <paramref name="stride"/> around it (Ultralytics' rectangular
    /// inference, <c>auto=True</c>).
    /// </summary>
    public static LetterboxTransform FitDynamic(int sourceWidth, int sourceHeight, int maxSide, int stride = 32)
    {
        CheckSizes(sourceWidth, sourceHeight, maxSide, maxSide);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        double ratio = Math.Min((double)maxSide / sourceHeight, (double)maxSide / sourceWidth);
        int w = Math.Clamp((int)Math.Round(sourceWidth * ratio, MidpointRounding.ToEven), 1, maxSide);
        int h = Math.Clamp((int)Math.Round(sourceHeight * ratio, MidpointRounding.ToEven), 1, maxSide);
        int inW = (w + stride - 1) / stride * stride, inH = (h + stride - 1) / stride * stride;
        return new(sourceWidth, sourceHeight, inW, inH, w, h, (inW - w) / 2, (inH - h) / 2);
    }

    /// <summary>Both axes scaled to the input, no padding.</summary>
    public static LetterboxTransform Stretch(int sourceWidth, int sourceHeight, int inputWidth, int inputHeight)
    {
        CheckSizes(sourceWidth, sourceHeight, inputWidth, inputHeight);
        return new(sourceWidth, sourceHeight, inputWidth, inputHeight, inputWidth, inputHeight, 0, 0);
    }

    /// <summary>A point in source pixels to input pixels.</summary>
    public (float X, float Y) ToInput(float x, float y) => (x * ScaleX + PadLeft, y * ScaleY + PadTop);

    /// <summary>A point in input pixels to source pixels, not clipped.</summary>
    public (float X, float Y) ToSource(float x, float y) => ((x - PadLeft) / ScaleX, (y - PadTop) / ScaleY);

    /// <summary>A box in input pixels to source pixels, clipped to the source image.</summary>
    public void BoxToSource(ref float x1, ref float y1, ref float x2, ref float y2)
    {
        float sx = ScaleX, sy = ScaleY;
        x1 = Math.Clamp((x1 - PadLeft) / sx, 0f, SourceWidth);
        y1 = Math.Clamp((y1 - PadTop) / sy, 0f, SourceHeight);
        x2 = Math.Clamp((x2 - PadLeft) / sx, 0f, SourceWidth);
        y2 = Math.Clamp((y2 - PadTop) / sy, 0f, SourceHeight);
    }

    private static void CheckSizes(int sourceWidth, int sourceHeight, int inputWidth, int inputHeight)
    {
        if (sourceWidth <= 0 || sourceHeight <= 0)
            throw new ArgumentOutOfRangeException(nameof(sourceWidth), $"the source image is {sourceWidth}x{sourceHeight}; both sides must be positive");
        if (inputWidth <= 0 || inputHeight <= 0)
            throw new ArgumentOutOfRangeException(nameof(inputWidth), $"the model input is {inputWidth}x{inputHeight}; both sides must be positive");
    }
}

/// <summary>Writes an image into a detector's CHW float input as a <see cref="LetterboxTransform"/> places it.</summary>
public static class Letterbox
{
    /// <summary>The grey Ultralytics pads with.</summary>
    public const byte YoloPadValue = 114;

    /// <summary>
    /// Resizes <paramref name="source"/> (Rgb24/Bgr24) bilinearly (OpenCV INTER_LINEAR), normalises it with
    /// <paramref name="norm"/> and writes it at the transform's place in <paramref name="destination"/>
    /// (3 planes of InputWidth×InputHeight); the padding gets <paramref name="padValue"/> normalised the same way.
    /// Steady state allocates nothing (scratch is pooled).
    /// </summary>
    public static void WriteChw(ImageBuffer source, in LetterboxTransform t, byte padValue, in ChannelNormalization norm, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Width != t.SourceWidth || source.Height != t.SourceHeight)
            throw new ArgumentException($"the image is {source.Width}x{source.Height} but the transform was made for {t.SourceWidth}x{t.SourceHeight}", nameof(source));
        int plane = t.InputWidth * t.InputHeight;
        if (destination.Length < 3 * plane)
            throw new ArgumentException($"destination holds {destination.Length} floats; 3x{t.InputHeight}x{t.InputWidth} needs {3 * plane}", nameof(destination));
        if (t.PadLeft == 0 && t.PadTop == 0 && t.ResizedHeight == t.InputHeight)
        {
            // Only right padding (or none): TensorWriter pads rows itself.
            TensorWriter.ResizeNormalizeToChw(source, t.ResizedWidth, t.ResizedHeight, t.InputWidth, 0f, norm, destination);
            if (t.ResizedWidth < t.InputWidth) FillPadding(t, padValue, norm, destination);
            return;
        }
        int resizedPlane = t.ResizedWidth * t.ResizedHeight;
        float[] scratch = ScratchPool<float>.Shared.Rent(3 * resizedPlane);
        try
        {
            TensorWriter.ResizeNormalizeToChw(source, t.ResizedWidth, t.ResizedHeight, norm, scratch.AsSpan(0, 3 * resizedPlane));
            for (int c = 0; c < 3; c++)
            {
                var from = scratch.AsSpan(c * resizedPlane, resizedPlane);
                var to = destination.Slice(c * plane, plane);
                for (int y = 0; y < t.ResizedHeight; y++)
                    from.Slice(y * t.ResizedWidth, t.ResizedWidth).CopyTo(to.Slice((t.PadTop + y) * t.InputWidth + t.PadLeft));
            }
        }
        finally
        {
            ScratchPool<float>.Shared.Return(scratch);
        }
        FillPadding(t, padValue, norm, destination);
    }

    /// <summary>The value a raw byte becomes in output channel <paramref name="channel"/>.</summary>
    public static float Normalized(byte value, int channel, in ChannelNormalization norm) => channel switch
    {
        0 => value * norm.Scale0 + norm.Bias0,
        1 => value * norm.Scale1 + norm.Bias1,
        2 => value * norm.Scale2 + norm.Bias2,
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, "channels are 0, 1 and 2"),
    };

    private static void FillPadding(in LetterboxTransform t, byte padValue, in ChannelNormalization norm, Span<float> destination)
    {
        int w = t.InputWidth, plane = w * t.InputHeight;
        int bottom = t.PadTop + t.ResizedHeight, right = t.PadLeft + t.ResizedWidth;
        for (int c = 0; c < 3; c++)
        {
            float pad = Normalized(padValue, c, norm);
            var p = destination.Slice(c * plane, plane);
            p[..(t.PadTop * w)].Fill(pad);
            p[(bottom * w)..].Fill(pad);
            for (int y = t.PadTop; y < bottom; y++)
            {
                p.Slice(y * w, t.PadLeft).Fill(pad);
                p.Slice(y * w + right, w - right).Fill(pad);
            }
        }
    }
}
