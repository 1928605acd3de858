// A line diff for comparing an Action's versions with its draft: the
// longest common subsequence of lines, after the common head and tail are
// set aside. Beyond MAX_CELLS of table the middle is shown as removed then
// added, which is still correct, only less minimal.

export interface DiffLine {
  op: " " | "-" | "+";
  text: string;
  // Line numbers in the old and new texts (0 when the line is not there).
  oldNo: number;
  newNo: number;
}

const MAX_CELLS = 4_000_000;

export function lineDiff(oldText: string, newText: string): DiffLine[] {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;

  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ op: " ", text: a[i], oldNo: i + 1, newNo: i + 1 });

  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const n = am.length, m = bm.length;
  if (n * m > MAX_CELLS) {
    am.forEach((t, i) => out.push({ op: "-", text: t, oldNo: head + i + 1, newNo: 0 }));
    bm.forEach((t, j) => out.push({ op: "+", text: t, oldNo: 0, newNo: head + j + 1 }));
  } else {
    // lcs[i][j]: the common subsequence length of am[i:] and bm[j:].
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = am[i] === bm[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
      }
    }
    let i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        out.push({ op: " ", text: am[i], oldNo: head + i + 1, newNo: head + j + 1 });
        i++; j++;
      } else if (i < n && (j === m || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
        // Removals come before the additions that replace them.
        out.push({ op: "-", text: am[i], oldNo: head + i + 1, newNo: 0 });
        i++;
      } else {
        out.push({ op: "+", text: bm[j], oldNo: 0, newNo: head + j + 1 });
        j++;
      }
    }
  }

  for (let k = 0; k < tail; k++) {
    const ai = a.length - tail + k, bi = b.length - tail + k;
    out.push({ op: " ", text: a[ai], oldNo: ai + 1, newNo: bi + 1 });
  }
  return out;
}

// splitLines splits on line ends; a final line end adds no empty line.
function splitLines(s: string): string[] {
  if (s === "") return [];
  const lines = s.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

// diffStats counts the added and removed lines.
export function diffStats(d: DiffLine[]): { added: number; removed: number } {
  let added = 0, removed = 0;
  for (const l of d) {
    if (l.op === "+") added++;
    else if (l.op === "-") removed++;
  }
  return { added, removed };
}
