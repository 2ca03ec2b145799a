/**
 * Von Neumann entropy of a PSD matrix from its eigenvalues: the positive eigenvalues, normalised
 * to sum to 1, as a probability vector p; S = −Σ p log p (natural log). Normalising makes the
 * entropy blind to the matrix's scale, which is why AᵀA needs no division by n.
 */
export function vonNeumannEntropyFromEigenvalues(eigenvalues: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < eigenvalues.length; i++) if (eigenvalues[i] > 0) total += eigenvalues[i];
  if (total === 0) return 0;
  let entropy = 0;
  for (let i = 0; i < eigenvalues.length; i++) {
    const value = eigenvalues[i];
    if (value > 0) {
      const p = value / total;
      entropy -= p * Math.log(p);
    }
  }
  return entropy;
}
