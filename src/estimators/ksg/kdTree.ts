/**
 * A k-d tree over float64 points under the max-norm (Chebyshev distance), the geometry of the
 * KSG estimators: k nearest neighbours with ties broken by index (so the neighbour set is
 * defined exactly), and counts of points within a radius, strict or not. Nodes keep tight
 * bounding boxes: a query prunes a box it cannot reach and counts a box it covers whole.
 * Every distance is max_d |q_d − p_d| in float64, and every box bound is a difference of the
 * same operands, so pruning never changes a result (rounding is monotone).
 */

/** Points per leaf by default: small enough to prune well, large enough that the scan beats the descent. */
const DEFAULT_LEAF_SIZE = 24;

/** A k-d tree over `count` points of dimension `dim` (row-major). */
export class MaxNormTree {
  /** The points reordered so that every node's points are contiguous. */
  private readonly points: Float64Array;
  /** Position in the tree order → the point's original index. */
  readonly order: Int32Array;
  private readonly nodeStart: Int32Array;
  private readonly nodeEnd: Int32Array;
  /** Child node indices; −1 for a leaf. */
  private readonly nodeLeft: Int32Array;
  private readonly nodeRight: Int32Array;
  /** Bounding boxes, dim values per node. */
  private readonly boxLow: Float64Array;
  private readonly boxHigh: Float64Array;
  private nodeCount = 0;
  /** The depth-first search's pending nodes and their box distances. */
  private readonly stack: Int32Array;
  private readonly stackDistance: Float64Array;

  constructor(
    source: Float64Array,
    readonly count: number,
    readonly dim: number,
    private readonly leafSize = DEFAULT_LEAF_SIZE,
  ) {
    const maxNodes = Math.max(1, 2 * Math.ceil(count / Math.max(1, Math.floor(leafSize / 2))) + 1);
    this.order = new Int32Array(count);
    for (let i = 0; i < count; i++) this.order[i] = i;
    this.nodeStart = new Int32Array(maxNodes);
    this.nodeEnd = new Int32Array(maxNodes);
    this.nodeLeft = new Int32Array(maxNodes);
    this.nodeRight = new Int32Array(maxNodes);
    this.boxLow = new Float64Array(maxNodes * dim);
    this.boxHigh = new Float64Array(maxNodes * dim);
    this.build(source, 0, count);
    this.points = new Float64Array(count * dim);
    for (let position = 0; position < count; position++) {
      const from = this.order[position] * dim;
      for (let d = 0; d < dim; d++) this.points[position * dim + d] = source[from + d];
    }
    // The stack holds at most one pending sibling per level, plus the node in hand.
    this.stack = new Int32Array(2 * 64 + 16);
    this.stackDistance = new Float64Array(2 * 64 + 16);
  }

  /** Builds the node over order[start, end) and returns its index; splits at the median of the widest coordinate. */
  private build(source: Float64Array, start: number, end: number): number {
    const node = this.nodeCount++;
    const { dim } = this;
    this.nodeStart[node] = start;
    this.nodeEnd[node] = end;
    let widest = 0;
    let widestSpread = -1;
    for (let d = 0; d < dim; d++) {
      let low = Infinity;
      let high = -Infinity;
      for (let position = start; position < end; position++) {
        const value = source[this.order[position] * dim + d];
        if (value < low) low = value;
        if (value > high) high = value;
      }
      this.boxLow[node * dim + d] = low;
      this.boxHigh[node * dim + d] = high;
      if (high - low > widestSpread) {
        widestSpread = high - low;
        widest = d;
      }
    }
    if (end - start <= this.leafSize || widestSpread <= 0) {
      this.nodeLeft[node] = -1;
      this.nodeRight[node] = -1;
      return node;
    }
    const middle = (start + end) >>> 1;
    this.select(source, start, end - 1, middle, widest);
    this.nodeLeft[node] = this.build(source, start, middle);
    this.nodeRight[node] = this.build(source, middle, end);
    return node;
  }

  /** Reorders order[left, right] so that position `target` holds the value it would hold sorted by coordinate `d` (Hoare's quickselect). */
  private select(source: Float64Array, left: number, right: number, target: number, d: number): void {
    const { order, dim } = this;
    while (right > left) {
      const pivot = source[order[(left + right) >>> 1] * dim + d];
      let i = left;
      let j = right;
      while (i <= j) {
        while (source[order[i] * dim + d] < pivot) i++;
        while (source[order[j] * dim + d] > pivot) j--;
        if (i <= j) {
          const swap = order[i];
          order[i] = order[j];
          order[j] = swap;
          i++;
          j--;
        }
      }
      if (target <= j) right = j;
      else if (target >= i) left = i;
      else return;
    }
  }

  /**
   * Max-norm distance from `query` to node's box (0 inside it); once it exceeds `limit` the
   * partial value is returned, since any value above the limit prunes alike.
   */
  private boxDistance(node: number, query: Float64Array, limit: number): number {
    const { dim, boxLow, boxHigh } = this;
    const base = node * dim;
    let distance = 0;
    for (let d = 0; d < dim; d++) {
      const below = boxLow[base + d] - query[d];
      const above = query[d] - boxHigh[base + d];
      const gap = below > above ? below : above;
      if (gap > distance) {
        distance = gap;
        if (distance > limit) return distance;
      }
    }
    return distance;
  }

  /**
   * Where node's box lies against the max-norm ball of `radius` around `query`: −1 wholly
   * outside, 1 wholly inside, 0 crossing its boundary (strict: the open ball, else the closed one).
   */
  private boxAgainstBall(node: number, query: Float64Array, radius: number, strict: boolean): number {
    const { dim, boxLow, boxHigh } = this;
    const base = node * dim;
    let inside = true;
    for (let d = 0; d < dim; d++) {
      const toLow = query[d] - boxLow[base + d];
      const toHigh = boxHigh[base + d] - query[d];
      // The gap to the box in this coordinate is −min(toLow, toHigh) when positive, its reach the max.
      const gap = toLow < 0 ? -toLow : toHigh < 0 ? -toHigh : 0;
      if (strict ? gap >= radius : gap > radius) return -1;
      const reach = toLow > toHigh ? toLow : toHigh;
      if (strict ? reach >= radius : reach > radius) inside = false;
    }
    return inside ? 1 : 0;
  }

  /**
   * The k nearest points to `query` other than the point with original index `self`, ordered by
   * (distance, index), nearest first: their original indices into `indices` and distances into
   * `distances` (both of length k). Needs count − 1 ≥ k.
   */
  nearest(query: Float64Array, self: number, k: number, indices: Int32Array, distances: Float64Array): void {
    const { dim, points, order, nodeStart, nodeEnd, nodeLeft, nodeRight, stack, stackDistance } = this;
    // The best k so far, kept sorted by (distance, index): k is small, so insertion beats a heap.
    distances.fill(Infinity);
    indices.fill(0x7fffffff);
    let worst = Infinity;
    let top = 0;
    stack[top] = 0;
    stackDistance[top] = 0;
    top++;
    while (top > 0) {
      top--;
      const node = stack[top];
      // A box can hold a point that ties the current k-th on distance with a smaller index, so
      // only a box strictly farther than the k-th is pruned.
      if (stackDistance[top] > worst) continue;
      const left = nodeLeft[node];
      if (left < 0) {
        for (let position = nodeStart[node], end = nodeEnd[node]; position < end; position++) {
          const base = position * dim;
          let distance = 0;
          let d = 0;
          for (; d < dim; d++) {
            const difference = query[d] - points[base + d];
            const absolute = difference < 0 ? -difference : difference;
            if (absolute > distance) {
              distance = absolute;
              if (distance > worst) break;
            }
          }
          if (d < dim) continue;
          const index = order[position];
          if (index === self) continue;
          if (distance === worst && index > indices[k - 1]) continue;
          let slot = k - 1;
          while (slot > 0 && (distances[slot - 1] > distance || (distances[slot - 1] === distance && indices[slot - 1] > index))) {
            distances[slot] = distances[slot - 1];
            indices[slot] = indices[slot - 1];
            slot--;
          }
          distances[slot] = distance;
          indices[slot] = index;
          worst = distances[k - 1];
        }
        continue;
      }
      const right = nodeRight[node];
      const leftDistance = this.boxDistance(left, query, worst);
      const rightDistance = this.boxDistance(right, query, worst);
      // Nearer child last on the stack, so it is searched first and tightens the bound.
      if (leftDistance <= rightDistance) {
        if (rightDistance <= worst) {
          stack[top] = right;
          stackDistance[top++] = rightDistance;
        }
        stack[top] = left;
        stackDistance[top++] = leftDistance;
      } else {
        if (leftDistance <= worst) {
          stack[top] = left;
          stackDistance[top++] = leftDistance;
        }
        stack[top] = right;
        stackDistance[top++] = rightDistance;
      }
    }
  }

  /** How many points (the query's own included, if it is one) lie at max-norm distance < radius (`strict`) or ≤ radius. */
  countWithin(query: Float64Array, radius: number, strict: boolean): number {
    const { dim, points, nodeStart, nodeEnd, nodeLeft, nodeRight, stack } = this;
    let top = 0;
    let total = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top];
      const placement = this.boxAgainstBall(node, query, radius, strict);
      if (placement < 0) continue;
      if (placement > 0) {
        total += nodeEnd[node] - nodeStart[node];
        continue;
      }
      const left = nodeLeft[node];
      if (left < 0) {
        for (let position = nodeStart[node], end = nodeEnd[node]; position < end; position++) {
          const base = position * dim;
          let inside = true;
          for (let d = 0; d < dim; d++) {
            const difference = query[d] - points[base + d];
            const absolute = difference < 0 ? -difference : difference;
            if (strict ? absolute >= radius : absolute > radius) {
              inside = false;
              break;
            }
          }
          if (inside) total++;
        }
        continue;
      }
      stack[top++] = nodeRight[node];
      stack[top++] = left;
    }
    return total;
  }
}
