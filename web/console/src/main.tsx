import { render } from "preact";
import { App } from "./App";
import { resume } from "./auth/session";
import { startRouter } from "./lib/router";
import { startTheme } from "./lib/theme";
import "./styles.css";

startTheme();
startRouter();
const root = document.getElementById("app") as HTMLElement;
// Try a remembered key before showing anything, so a signed-in reload does not flash the
// sign-in form.
void resume().finally(() => render(<App />, root));
