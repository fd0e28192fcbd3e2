// Light and dark: the system's choice unless the user picks one (kept in localStorage).

import { Store } from "./store";

export type ThemeChoice = "system" | "light" | "dark";
const STORAGE_KEY = "hsi.console.theme";

function stored(): ThemeChoice {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system";
  }
}

export const theme = new Store<ThemeChoice>(stored());

function apply(choice: ThemeChoice): void {
  // No attribute: the stylesheet follows prefers-color-scheme.
  if (choice === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice;
}

export function startTheme(): void {
  apply(theme.get());
  theme.subscribe((choice) => {
    apply(choice);
    try {
      if (choice === "system") localStorage.removeItem(STORAGE_KEY);
      else localStorage.setItem(STORAGE_KEY, choice);
    } catch {
      // Not kept: it still applies to this page.
    }
  });
}

/** system → light → dark → system. */
export function nextTheme(choice: ThemeChoice): ThemeChoice {
  return choice === "system" ? "light" : choice === "light" ? "dark" : "system";
}
