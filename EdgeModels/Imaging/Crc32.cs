using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Edge.Models.Imaging;

/// <summary>CRC-32 (ISO 3309, the PNG/zlib polynomial), slice-by-8 so checking a large IDAT stays cheap.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(0xFFFFFFFFu, data);

    /// <summary>Continues a running (pre-inverted) CRC register; invert the final value yourself.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        ref uint t = ref MemoryMarshal.GetArrayDataReference(Table);
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            uint lo = crc ^ BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i));
            uint hi = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i + 4));
            crc = At(ref t, 7, lo & 0xFF) ^ At(ref t, 6, (lo >> 8) & 0xFF) ^ At(ref t, 5, (lo >> 16) & 0xFF) ^ At(ref t, 4, lo >> 24)
                ^ At(ref t, 3, hi & 0xFF) ^ At(ref t, 2, (hi >> 8) & 0xFF) ^ At(ref t, 1, (hi >> 16) & 0xFF) ^ At(ref t, 0, hi >> 24);
        }
        for (; i < data.Length; i++)
            crc = At(ref t, 0, (crc ^ data[i]) & 0xFF) ^ (crc >> 8);
        return crc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint At(ref uint table, int slice, uint index) => Unsafe.Add(ref table, slice * 256 + (int)index);

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        for (int n = 0; n < 256; n++)
            for (int s = 1; s < 8; s++)
                table[s * 256 + n] = (table[(s - 1) * 256 + n] >> 8) ^ table[table[(s - 1) * 256 + n] & 0xFF];
        return table;
    }
}
