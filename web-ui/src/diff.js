// A line diff for showing what changed between two versions of a text: the longest common
// subsequence of lines, after the common start and end are set aside. Returns
// [{type: 'same'|'added'|'removed', text}] in reading order. Cost: O(n·m) in the lines that
// differ; past kMaxCells the middle is shown as all removed, then all added.

const kMaxCells = 4_000_000;

export function diffLines(before, after) {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const out = a.slice(0, start).map((text) => ({ type: 'same', text }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  if (midA.length * midB.length > kMaxCells) {
    midA.forEach((text) => out.push({ type: 'removed', text }));
    midB.forEach((text) => out.push({ type: 'added', text }));
  } else {
    // lengths[i][j]: the LCS of midA[i..] and midB[j..], in one flat array.
    const width = midB.length + 1;
    const lengths = new Uint32Array((midA.length + 1) * width);
    for (let i = midA.length - 1; i >= 0; i--) {
      for (let j = midB.length - 1; j >= 0; j--) {
        lengths[i * width + j] = midA[i] === midB[j]
          ? lengths[(i + 1) * width + j + 1] + 1
          : Math.max(lengths[(i + 1) * width + j], lengths[i * width + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < midA.length || j < midB.length) {
      if (i < midA.length && j < midB.length && midA[i] === midB[j]) {
        out.push({ type: 'same', text: midA[i++] });
        j++;
      } else if (i < midA.length && (j === midB.length || lengths[(i + 1) * width + j] >= lengths[i * width + j + 1])) {
        out.push({ type: 'removed', text: midA[i++] });
      } else {
        out.push({ type: 'added', text: midB[j++] });
      }
    }
  }
  a.slice(endA).forEach((text) => out.push({ type: 'same', text }));
  return out;
}
