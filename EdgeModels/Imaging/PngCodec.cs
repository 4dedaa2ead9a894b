using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.Intrinsics;

namespace Edge.Models.Imaging;

/// <summary>
/// PNG in managed code: every colour type and bit depth, palette transparency, Adam7, CRC-checked.
/// Decoding into a reused <see cref="ImageBuffer"/> rents its scratch rows, so it allocates only what
/// <see cref="ZLibStream"/> needs.
/// </summary>
public static class PngCodec
{
    private const uint IHDR = 0x49484452, PLTE = 0x504C5445, IDAT = 0x49444154, IEND = 0x49454E44, TRNS = 0x74524E53;
    private const int IdatChunkSize = 64 * 1024;

    internal static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private enum ColorType : byte { Gray = 0, Rgb = 2, Palette = 3, GrayAlpha = 4, Rgba = 6 }

    /// <summary>What the chunk walk found: the header plus where PLTE, tRNS and the image data are.</summary>
    private struct PngInfo
    {
        public int Width, Height, BitDepth, Channels;
        public ColorType Color;
        public bool Interlaced;
        public int PaletteOffset, PaletteLength, TrnsOffset, TrnsLength, IdatLength;
        public readonly int BitsPerPixel => Channels * BitDepth;
    }

    // Adam7 passes: x0, y0, dx, dy.
    private static ReadOnlySpan<byte> Adam7 => [0, 0, 8, 8, 4, 0, 8, 8, 0, 4, 4, 8, 2, 0, 4, 4, 0, 2, 2, 4, 1, 0, 2, 2, 0, 1, 1, 2];

    public static void Decode(ReadOnlySpan<byte> png, ImageBuffer target, PixelFormat format = PixelFormat.Rgb24)
    {
        ArgumentNullException.ThrowIfNull(target);
        int targetBpp = format.BytesPerPixel();
        if (png.Length < 8 || !png[..8].SequenceEqual(Signature))
            throw new ImageDecodeException($"not a PNG (starts with {ImageCodec.Hex(png)})");

        var info = ReadChunks(png);
        var pool = ArrayPool<byte>.Shared;
        int maxRowBytes = RowBytes(info.Width, info.BitsPerPixel);
        byte[] idat = pool.Rent(info.IdatLength);
        byte[] cur = pool.Rent(maxRowBytes + 1);
        byte[] prev = pool.Rent(maxRowBytes + 1);
        byte[] rgba = pool.Rent(info.Width * 4);
        byte[] passRow = pool.Rent(info.Width * targetBpp);
        byte[] palette = pool.Rent(256 * 4);
        try
        {
            CopyImageData(png, idat);
            if (info.Color == ColorType.Palette) BuildPalette(png, info, palette);
            ImageCodec.PrepareTarget(target, info.Width, info.Height, format);
            var rows = new RowDecoder(info, png, format, palette, rgba, passRow);
            using var compressed = new MemoryStream(idat, 0, info.IdatLength, writable: false);
            using var inflater = new ZLibStream(compressed, CompressionMode.Decompress);
            try
            {
                if (!info.Interlaced)
                    rows.DecodePass(inflater, target, 0, 0, 1, 1, ref cur, ref prev);
                else
                    for (int p = 0; p < Adam7.Length; p += 4)
                        rows.DecodePass(inflater, target, Adam7[p], Adam7[p + 1], Adam7[p + 2], Adam7[p + 3], ref cur, ref prev);
            }
            catch (InvalidDataException e)
            {
                throw new ImageDecodeException($"corrupt PNG: IDAT is not a valid zlib stream ({e.Message})", e);
            }
        }
        finally
        {
            pool.Return(idat);
            pool.Return(cur);
            pool.Return(prev);
            pool.Return(rgba);
            pool.Return(passRow);
            pool.Return(palette);
        }
    }

    /// <summary>Encodes Gray8, Rgb24, Bgr24 (written as RGB) or Rgba32 at 8 bits per channel.</summary>
    public static byte[] Encode(ImageBuffer image)
    {
        using var output = new MemoryStream();
        Encode(image, output);
        return output.ToArray();
    }

    public static void Encode(ImageBuffer image, Stream output)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(output);
        if (image.Width <= 0 || image.Height <= 0) throw new ImageEncodeException("cannot encode an empty image");
        var (color, channels) = image.Format switch
        {
            PixelFormat.Gray8 => (ColorType.Gray, 1),
            PixelFormat.Rgb24 or PixelFormat.Bgr24 => (ColorType.Rgb, 3),
            PixelFormat.Rgba32 => (ColorType.Rgba, 4),
            _ => throw new ImageEncodeException($"PNG cannot encode pixel format {image.Format}"),
        };

        output.Write(Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], image.Height);
        ihdr[8] = 8;
        ihdr[9] = (byte)color;
        ihdr[10] = ihdr[11] = ihdr[12] = 0;
        WriteChunk(output, IHDR, ihdr);

        int rowBytes = image.Width * channels;
        var pool = ArrayPool<byte>.Shared;
        byte[] cur = pool.Rent(rowBytes), prev = pool.Rent(rowBytes), filtered = pool.Rent(rowBytes + 1);
        using var idat = new IdatChunkStream(output);
        try
        {
            prev.AsSpan(0, rowBytes).Clear();
            using (var deflater = new ZLibStream(idat, CompressionLevel.Fastest, leaveOpen: true))
            {
                for (int y = 0; y < image.Height; y++)
                {
                    PixelRows.Convert(image.Row(y), image.Format, cur, image.Format == PixelFormat.Bgr24 ? PixelFormat.Rgb24 : image.Format, image.Width);
                    Filter(cur.AsSpan(0, rowBytes), prev.AsSpan(0, rowBytes), channels, filtered.AsSpan(0, rowBytes + 1));
                    deflater.Write(filtered, 0, rowBytes + 1);
                    (cur, prev) = (prev, cur);
                }
            }
            idat.Complete();
        }
        finally
        {
            pool.Return(cur);
            pool.Return(prev);
            pool.Return(filtered);
        }
        WriteChunk(output, IEND, []);
    }

    private static int RowBytes(int width, int bitsPerPixel) => (int)(((long)width * bitsPerPixel + 7) / 8);

    /// <summary>Walks every chunk once: checks lengths, CRCs and ordering, parses IHDR, notes PLTE/tRNS/IDAT.</summary>
    private static PngInfo ReadChunks(ReadOnlySpan<byte> png)
    {
        var info = default(PngInfo);
        long idatLength = 0;
        int pos = 8;
        for (int index = 0; ; index++)
        {
            if (png.Length - pos < 12)
                throw new ImageDecodeException(pos == png.Length
                    ? "truncated PNG: file ends before the IEND chunk"
                    : $"truncated PNG: file ends inside a chunk header at offset {pos}");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            var typeBytes = png.Slice(pos + 4, 4);
            uint type = BinaryPrimitives.ReadUInt32BigEndian(typeBytes);
            foreach (byte b in typeBytes)
                if (!char.IsAsciiLetter((char)b))
                    throw new ImageDecodeException($"corrupt PNG: invalid chunk type {ImageCodec.Hex(typeBytes)} at offset {pos}");
            if (length > (uint)(png.Length - pos - 12))
                throw new ImageDecodeException($"truncated PNG: chunk {Name(typeBytes)} at offset {pos} declares {length} bytes but only {png.Length - pos - 12} remain");
            var data = png.Slice(pos + 8, (int)length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + (int)length)..]);
            if (Crc32.Compute(png.Slice(pos + 4, (int)length + 4)) != crc)
                throw new ImageDecodeException($"PNG CRC mismatch in chunk {Name(typeBytes)} at offset {pos}");
            if (index == 0 && type != IHDR)
                throw new ImageDecodeException($"corrupt PNG: first chunk is {Name(typeBytes)}, not IHDR");

            switch (type)
            {
                case IHDR when index == 0:
                    info = ParseHeader(data);
                    break;
                case IHDR:
                    throw new ImageDecodeException("corrupt PNG: second IHDR chunk");
                case PLTE:
                    if (length == 0 || length % 3 != 0 || length > 768)
                        throw new ImageDecodeException($"corrupt PNG: PLTE is {length} bytes (must be 3 to 768, a multiple of 3)");
                    (info.PaletteOffset, info.PaletteLength) = (pos + 8, (int)length);
                    break;
                case TRNS:
                    (info.TrnsOffset, info.TrnsLength) = (pos + 8, (int)length);
                    break;
                case IDAT:
                    idatLength += length;
                    break;
                case IEND:
                    if (idatLength == 0) throw new ImageDecodeException("corrupt PNG: no IDAT chunk");
                    if (info.Color == ColorType.Palette && info.PaletteLength == 0)
                        throw new ImageDecodeException("corrupt PNG: palette image without a PLTE chunk");
                    if (idatLength > Array.MaxLength)
                        throw new ImageDecodeException($"PNG image data is {idatLength} bytes, too large");
                    info.IdatLength = (int)idatLength;
                    return info;
                default:
                    // Bit 5 of the first letter clear = critical: we cannot skip what we do not understand.
                    if ((typeBytes[0] & 0x20) == 0)
                        throw new ImageDecodeException($"unsupported PNG: unknown critical chunk {Name(typeBytes)}");
                    break;
            }
            pos += 12 + (int)length;
        }
    }

    private static PngInfo ParseHeader(ReadOnlySpan<byte> data)
    {
        if (data.Length != 13) throw new ImageDecodeException($"corrupt PNG: IHDR is {data.Length} bytes, not 13");
        uint width = BinaryPrimitives.ReadUInt32BigEndian(data), height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        if (width == 0 || height == 0) throw new ImageDecodeException($"corrupt PNG: IHDR says {width}x{height} pixels");
        ImageCodec.CheckSize(width, height, "PNG");
        var info = new PngInfo { Width = (int)width, Height = (int)height, BitDepth = data[8], Color = (ColorType)data[9] };
        info.Channels = info.Color switch
        {
            ColorType.Gray or ColorType.Palette => 1,
            ColorType.GrayAlpha => 2,
            ColorType.Rgb => 3,
            ColorType.Rgba => 4,
            _ => throw new ImageDecodeException($"corrupt PNG: colour type {data[9]} does not exist"),
        };
        bool depthOk = info.Color switch
        {
            ColorType.Gray => info.BitDepth is 1 or 2 or 4 or 8 or 16,
            ColorType.Palette => info.BitDepth is 1 or 2 or 4 or 8,
            _ => info.BitDepth is 8 or 16,
        };
        if (!depthOk) throw new ImageDecodeException($"corrupt PNG: bit depth {info.BitDepth} is not allowed for colour type {data[9]}");
        if (data[10] != 0 || data[11] != 0)
            throw new ImageDecodeException($"unsupported PNG: compression method {data[10]}, filter method {data[11]}");
        if (data[12] > 1) throw new ImageDecodeException($"corrupt PNG: interlace method {data[12]} does not exist");
        info.Interlaced = data[12] == 1;
        return info;
    }

    private static void CopyImageData(ReadOnlySpan<byte> png, Span<byte> idat)
    {
        int pos = 8, written = 0;
        while (true)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            uint type = BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 4)..]);
            if (type == IEND) return;
            if (type == IDAT)
            {
                png.Slice(pos + 8, length).CopyTo(idat[written..]);
                written += length;
            }
            pos += 12 + length;
        }
    }

    /// <summary>The palette as RGBA, tRNS alpha applied; indices past its end read as opaque black.</summary>
    private static void BuildPalette(ReadOnlySpan<byte> png, in PngInfo info, Span<byte> rgba)
    {
        rgba[..1024].Clear();
        var plte = png.Slice(info.PaletteOffset, info.PaletteLength);
        var trns = png.Slice(info.TrnsOffset, info.TrnsLength);
        for (int i = 0; i < 256; i++)
        {
            if (3 * i + 2 < plte.Length)
            {
                rgba[4 * i] = plte[3 * i];
                rgba[4 * i + 1] = plte[3 * i + 1];
                rgba[4 * i + 2] = plte[3 * i + 2];
            }
            rgba[4 * i + 3] = i < trns.Length ? trns[i] : (byte)255;
        }
    }

    private static string Name(ReadOnlySpan<byte> type) => System.Text.Encoding.ASCII.GetString(type);

    /// <summary>Turns filtered, packed scanlines into rows of the target format.</summary>
    private readonly ref struct RowDecoder
    {
        private readonly PngInfo _info;
        private readonly PixelFormat _format;
        private readonly PixelFormat? _direct;
        private readonly ReadOnlySpan<byte> _palette;
        private readonly Span<byte> _rgba, _passRow;
        private readonly int _keyR = -1, _keyG = -1, _keyB = -1;

        public RowDecoder(in PngInfo info, ReadOnlySpan<byte> png, PixelFormat format, byte[] palette, byte[] rgba, byte[] passRow)
        {
            _info = info;
            _format = format;
            _palette = palette;
            _rgba = rgba;
            _passRow = passRow;
            var trns = png.Slice(info.TrnsOffset, info.TrnsLength);
            if (info.Color == ColorType.Gray && trns.Length >= 2)
                _keyR = _keyG = _keyB = BinaryPrimitives.ReadUInt16BigEndian(trns);
            else if (info.Color == ColorType.Rgb && trns.Length >= 6)
                (_keyR, _keyG, _keyB) = (BinaryPrimitives.ReadUInt16BigEndian(trns), BinaryPrimitives.ReadUInt16BigEndian(trns[2..]), BinaryPrimitives.ReadUInt16BigEndian(trns[4..]));
            // 8-bit rows without a colour key already are one of our formats: convert without expanding to RGBA.
            if (info.BitDepth == 8 && _keyR < 0)
                _direct = info.Color switch { ColorType.Gray => PixelFormat.Gray8, ColorType.Rgb => PixelFormat.Rgb24, ColorType.Rgba => PixelFormat.Rgba32, _ => null };
        }

        public void DecodePass(Stream inflater, ImageBuffer target, int x0, int y0, int dx, int dy, ref byte[] cur, ref byte[] prev)
        {
            int width = (_info.Width - x0 + dx - 1) / dx, height = (_info.Height - y0 + dy - 1) / dy;
            if (width == 0 || height == 0) return;
            int rowBytes = RowBytes(width, _info.BitsPerPixel), bpp = Math.Max(1, _info.BitsPerPixel / 8);
            int targetBpp = _format.BytesPerPixel();
            prev.AsSpan(0, rowBytes + 1).Clear();
            for (int y = y0; y < _info.Height; y += dy)
            {
                var line = cur.AsSpan(0, rowBytes + 1);
                if (inflater.ReadAtLeast(line, line.Length, throwOnEndOfStream: false) < line.Length)
                    throw new ImageDecodeException(_info.Interlaced
                        ? $"truncated PNG: IDAT ended early (interlace pass starting at {x0},{y0}, row {y})"
                        : $"truncated PNG: IDAT ended early (row {y} of {_info.Height})");
                Unfilter(line[0], line[1..], prev.AsSpan(1, rowBytes), bpp, y);
                var row = target.Row(y);
                if (dx == 1)
                {
                    Emit(line[1..], width, row);
                }
                else
                {
                    Emit(line[1..], width, _passRow);
                    for (int i = 0, x = x0; i < width; i++, x += dx)
                        _passRow.Slice(i * targetBpp, targetBpp).CopyTo(row[(x * targetBpp)..]);
                }
                (cur, prev) = (prev, cur);
            }
        }

        private void Emit(ReadOnlySpan<byte> raw, int width, Span<byte> dst)
        {
            if (_direct is { } direct)
            {
                PixelRows.Convert(raw, direct, dst, _format, width);
                return;
            }
            ExpandToRgba(raw, width, _rgba);
            PixelRows.Convert(_rgba, PixelFormat.Rgba32, dst, _format, width);
        }

        private void ExpandToRgba(ReadOnlySpan<byte> raw, int width, Span<byte> rgba)
        {
            int depth = _info.BitDepth;
            switch (_info.Color)
            {
                case ColorType.Palette:
                    for (int x = 0; x < width; x++)
                        _palette.Slice(Sample(raw, x, depth) * 4, 4).CopyTo(rgba[(x * 4)..]);
                    break;
                case ColorType.Gray:
                {
                    int scale = depth < 8 ? 255 / ((1 << depth) - 1) : 1;
                    for (int x = 0; x < width; x++)
                    {
                        int v = Sample(raw, x, depth);
                        byte g = depth == 16 ? (byte)(v >> 8) : (byte)(v * scale);
                        rgba[4 * x] = rgba[4 * x + 1] = rgba[4 * x + 2] = g;
                        rgba[4 * x + 3] = v == _keyR ? (byte)0 : (byte)255;
                    }
                    break;
                }
                case ColorType.Rgb:
                    for (int x = 0; x < width; x++)
                    {
                        int r = Sample(raw, 3 * x, depth), g = Sample(raw, 3 * x + 1, depth), b = Sample(raw, 3 * x + 2, depth);
                        int shift = depth - 8;
                        rgba[4 * x] = (byte)(r >> shift);
                        rgba[4 * x + 1] = (byte)(g >> shift);
                        rgba[4 * x + 2] = (byte)(b >> shift);
                        rgba[4 * x + 3] = r == _keyR && g == _keyG && b == _keyB ? (byte)0 : (byte)255;
                    }
                    break;
                default:
                {
                    // Gray+alpha and RGBA: keep the high byte of each 16-bit sample.
                    int step = depth / 8, channels = _info.Channels;
                    for (int x = 0; x < width; x++)
                    {
                        int s = x * channels * step;
                        if (channels == 2)
                        {
                            rgba[4 * x] = rgba[4 * x + 1] = rgba[4 * x + 2] = raw[s];
                            rgba[4 * x + 3] = raw[s + step];
                        }
                        else
                        {
                            rgba[4 * x] = raw[s];
                            rgba[4 * x + 1] = raw[s + step];
                            rgba[4 * x + 2] = raw[s + 2 * step];
                            rgba[4 * x + 3] = raw[s + 3 * step];
                        }
                    }
                    break;
                }
            }
        }

        /// <summary>Sample <paramref name="i"/> of a packed row at 1, 2, 4, 8 or 16 bits.</summary>
        private static int Sample(ReadOnlySpan<byte> raw, int i, int depth) => depth switch
        {
            8 => raw[i],
            16 => raw[2 * i] << 8 | raw[2 * i + 1],
            _ => (raw[(i * depth) >> 3] >> (8 - depth - ((i * depth) & 7))) & ((1 << depth) - 1),
        };
    }

    private static void Unfilter(byte filter, Span<byte> cur, ReadOnlySpan<byte> prev, int bpp, int y)
    {
        int n = cur.Length;
        switch (filter)
        {
            case 0:
                break;
            case 1:
                for (int i = bpp; i < n; i++) cur[i] += cur[i - bpp];
                break;
            case 2:
            {
                int i = 0;
                for (; i + Vector128<byte>.Count <= n; i += Vector128<byte>.Count)
                    (Vector128.Create(cur[i..]) + Vector128.Create(prev[i..])).CopyTo(cur[i..]);
                for (; i < n; i++) cur[i] += prev[i];
                break;
            }
            case 3:
                for (int i = 0; i < bpp; i++) cur[i] += (byte)(prev[i] >> 1);
                for (int i = bpp; i < n; i++) cur[i] += (byte)((cur[i - bpp] + prev[i]) >> 1);
                break;
            case 4:
                for (int i = 0; i < bpp; i++) cur[i] += prev[i];
                for (int i = bpp; i < n; i++) cur[i] += Paeth(cur[i - bpp], prev[i], prev[i - bpp]);
                break;
            default:
                throw new ImageDecodeException($"corrupt PNG: row {y} uses filter type {filter} (only 0-4 exist)");
        }
    }

    private static byte Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }

    /// <summary>Picks the filter with the smallest sum of absolute (signed) residuals, libpng's heuristic.</summary>
    private static void Filter(ReadOnlySpan<byte> cur, ReadOnlySpan<byte> prev, int bpp, Span<byte> output)
    {
        int n = cur.Length;
        long none = 0, sub = 0, up = 0, avg = 0, paeth = 0;
        for (int i = 0; i < n; i++)
        {
            int x = cur[i], a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
            none += Math.Abs((int)(sbyte)x);
            sub += Math.Abs((int)(sbyte)(x - a));
            up += Math.Abs((int)(sbyte)(x - b));
            avg += Math.Abs((int)(sbyte)(x - ((a + b) >> 1)));
            paeth += Math.Abs((int)(sbyte)(x - Paeth(a, b, c)));
        }
        long best = Math.Min(Math.Min(none, sub), Math.Min(Math.Min(up, avg), paeth));
        byte filter = best == none ? (byte)0 : best == sub ? (byte)1 : best == up ? (byte)2 : best == avg ? (byte)3 : (byte)4;
        output[0] = filter;
        var res = output[1..];
        for (int i = 0; i < n; i++)
        {
            int x = cur[i], a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
            res[i] = filter switch
            {
                0 => (byte)x,
                1 => (byte)(x - a),
                2 => (byte)(x - b),
                3 => (byte)(x - ((a + b) >> 1)),
                _ => (byte)(x - Paeth(a, b, c)),
            };
        }
    }

    private static void WriteChunk(Stream output, uint type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        BinaryPrimitives.WriteUInt32BigEndian(head[4..], type);
        uint crc = ~Crc32.Append(Crc32.Append(0xFFFFFFFFu, head[4..]), data);
        output.Write(head);
        output.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(head, crc);
        output.Write(head[..4]);
    }

    /// <summary>Collects the deflate output and writes it as IDAT chunks of up to 64 KiB.</summary>
    private sealed class IdatChunkStream(Stream output) : Stream
    {
        private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(IdatChunkSize);
        private int _count;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> data)
        {
            var buffer = _buffer ?? throw new ObjectDisposedException(nameof(IdatChunkStream));
            while (!data.IsEmpty)
            {
                int n = Math.Min(data.Length, buffer.Length - _count);
                data[..n].CopyTo(buffer.AsSpan(_count));
                _count += n;
                data = data[n..];
                if (_count == buffer.Length) Emit();
            }
        }

        /// <summary>Writes what is left as the last IDAT chunk.</summary>
        public void Complete()
        {
            if (_count > 0) Emit();
        }

        private void Emit()
        {
            WriteChunk(output, IDAT, _buffer.AsSpan(0, _count));
            _count = 0;
        }

        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (_buffer is { } buffer)
            {
                _buffer = null;
                ArrayPool<byte>.Shared.Return(buffer);
            }
            base.Dispose(disposing);
        }
    }
}
