using System.Drawing;

namespace Edge.Agent.Inspection;

/// <summary>
/// Continuous-capture mode: follows parts from frame to frame as the conveyor carries them, so each part is counted
/// once however many frames it appears in. A box is matched to a track by IoU with the track's predicted box (last
/// box moved by the track's estimated per-frame motion times the frame periods since it was seen, so a dropped frame
/// does not lose the part), else by centroid distance; unmatched boxes start tracks;
/// a track not seen for more than <see cref="MaxMissedFrames"/> frame periods ends. A track is counted as a part when it has been seen
/// <see cref="MinHits"/> times (one-frame flickers are not parts). Allocates nothing once its lists have grown.
/// </summary>
public sealed class PartTracker
{
    private readonly List<Track> _tracks = new(64);
    private readonly List<(float Score, int Track, int Box)> _pairs = new(256);
    private bool[] _boxUsed = new bool[64];
    private long _nextId = 1;

    /// <summary>Smallest IoU with the predicted box that matches.</summary>
    public float MinIou { get; init; } = 0.2f;
    /// <summary>Largest centroid distance (px) that matches when the boxes do not overlap enough.</summary>
    public float MaxCentroidJump { get; init; } = 80f;
    public int MaxMissedFrames { get; init; } = 2;
    public int MinHits { get; init; } = 2;

    /// <summary>Parts counted so far.</summary>
    public long Counted { get; private set; }

    /// <summary>Tracks alive now.</summary>
    public int ActiveTracks => _tracks.Count;

    /// <summary>
    /// Takes one frame's part boxes; writes each box's track id to <paramref name="trackIds"/> (same order, cleared
    /// first) and returns how many parts were newly counted in this frame. <paramref name="framePeriods"/> is how many
    /// frame periods have passed since the previous frame (2 when the camera dropped one in between).
    /// </summary>
    public int Update(ReadOnlySpan<RectangleF> boxes, List<long> trackIds, int framePeriods = 1)
    {
        ArgumentNullException.ThrowIfNull(trackIds);
        ArgumentOutOfRangeException.ThrowIfLessThan(framePeriods, 1);
        trackIds.Clear();
        if (_boxUsed.Length < boxes.Length) _boxUsed = new bool[Math.Max(boxes.Length, _boxUsed.Length * 2)];
        Array.Clear(_boxUsed, 0, boxes.Length);
        for (int i = 0; i < boxes.Length; i++) trackIds.Add(0);

        _pairs.Clear();
        for (int t = 0; t < _tracks.Count; t++)
        {
            var predicted = _tracks[t].Predict(framePeriods);
            for (int b = 0; b < boxes.Length; b++)
            {
                float iou = Iou(predicted, boxes[b]);
                if (iou >= MinIou) { _pairs.Add((1 + iou, t, b)); continue; }
                float d = Distance(predicted, boxes[b]);
                if (d <= MaxCentroidJump) _pairs.Add((1 - d / (MaxCentroidJump + 1), t, b));
            }
        }
        _pairs.Sort(static (a, b) => b.Score.CompareTo(a.Score));

        int counted = 0;
        Span<bool> trackMatched = _tracks.Count <= 256 ? stackalloc bool[_tracks.Count] : new bool[_tracks.Count];
        foreach (var (_, t, b) in _pairs)
        {
            if (trackMatched[t] || _boxUsed[b]) continue;
            trackMatched[t] = true;
            _boxUsed[b] = true;
            var track = _tracks[t];
            var box = boxes[b];
            float dx = Cx(box) - Cx(track.Box), dy = Cy(box) - Cy(track.Box);
            int periods = track.Missed + framePeriods;
            // Motion is smoothed: the belt runs at a steady speed, detections jitter.
            track.Vx = track.Hits == 1 ? dx / periods : 0.5f * track.Vx + 0.5f * dx / periods;
            track.Vy = track.Hits == 1 ? dy / periods : 0.5f * track.Vy + 0.5f * dy / periods;
            track.Box = box;
            track.Hits++;
            track.Missed = 0;
            if (!track.Counted && track.Hits >= MinHits) { track.Counted = true; Counted++; counted++; }
            _tracks[t] = track;
            trackIds[b] = track.Id;
        }
        for (int t = _tracks.Count - 1; t >= 0; t--)
        {
            if (trackMatched[t]) continue;
            var track = _tracks[t];
            track.Missed += framePeriods;
            if (track.Missed > MaxMissedFrames) { _tracks.RemoveAt(t); continue; }
            _tracks[t] = track;
        }
        for (int b = 0; b < boxes.Length; b++)
        {
            if (_boxUsed[b]) continue;
            var track = new Track { Id = _nextId++, Box = boxes[b], Hits = 1, FirstCx = Cx(boxes[b]) };
            if (MinHits <= 1) { track.Counted = true; Counted++; counted++; }
            _tracks.Add(track);
            trackIds[b] = track.Id;
        }
        return counted;
    }

    /// <summary>
    /// True once per track: the first time it is counted, was first seen before <paramref name="lineX"/> (so a part
    /// picked up again past the line is not taken for a new one) and its box centre is at or past <paramref name="lineX"/>
    /// (parts move towards larger x). Call after <see cref="Update"/> with the ids it returned.
    /// </summary>
    public bool TryCross(long trackId, float lineX)
    {
        for (int t = 0; t < _tracks.Count; t++)
        {
            var track = _tracks[t];
            if (track.Id != trackId) continue;
            if (track.Crossed || !track.Counted || track.Missed > 0 || track.FirstCx >= lineX || Cx(track.Box) < lineX) return false;
            track.Crossed = true;
            _tracks[t] = track;
            return true;
        }
        return false;
    }

    private struct Track
    {
        public long Id;
        public RectangleF Box;
        public float Vx, Vy;
        public int Hits;
        /// <summary>Frame periods since the track was last seen (0 when seen in the latest frame).</summary>
        public int Missed;
        public bool Counted, Crossed;
        public float FirstCx;

        /// <summary>Where the part should be <paramref name="framePeriods"/> periods after the latest frame.</summary>
        public readonly RectangleF Predict(int framePeriods)
        {
            var b = Box;
            b.Offset(Vx * (Missed + framePeriods), Vy * (Missed + framePeriods));
            return b;
        }
    }

    private static float Cx(RectangleF r) => r.Left + r.Width * 0.5f;
    private static float Cy(RectangleF r) => r.Top + r.Height * 0.5f;

    private static float Distance(RectangleF a, RectangleF b)
    {
        float dx = Cx(a) - Cx(b), dy = Cy(a) - Cy(b);
        return MathF.Sqrt(dx * dx + dy * dy);
    }

    private static float Iou(RectangleF a, RectangleF b)
    {
        float w = Math.Min(a.Right, b.Right) - Math.Max(a.Left, b.Left);
        float h = Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Top, b.Top);
        if (w <= 0 || h <= 0) return 0;
        float inter = w * h;
        return inter / (a.Width * a.Height + b.Width * b.Height - inter);
    }
}
