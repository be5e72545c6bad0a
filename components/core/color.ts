// The two colour slots. Pure.

export type Color = "blue" | "green";
export const COLORS: readonly Color[] = ["blue", "green"];

export function otherColor(color: Color): Color {
    return color === "blue" ? "green" : "blue";
}
