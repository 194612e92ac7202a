//! The menu (Esc / F10): its items, its keys, and what each choice starts.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Effect, Overlay, actions, editor, nav, picker, quit, reset, shown_keys};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuItem {
    RevealSolution,
    RunAction,
    RevealToken,
    SolveStep,
    ResetLesson,
    ResetStep,
    ResetEditor,
    ChooseLesson,
    TogglePresenter,
    Help,
    Quit,
}

impl MenuItem {
    pub const ALL: [MenuItem; 11] = [
        MenuItem::RevealSolution,
        MenuItem::SolveStep,
        MenuItem::RunAction,
        MenuItem::RevealToken,
        MenuItem::TogglePresenter,
        MenuItem::ResetLesson,
        MenuItem::ResetStep,
        MenuItem::ResetEditor,
        MenuItem::ChooseLesson,
        MenuItem::Help,
        MenuItem::Quit,
    ];

    pub fn label(self) -> &'static str {
        match self {
            MenuItem::ChooseLesson => "Choose a lesson",
            MenuItem::SolveStep => "Solve this step (apply solution, run action)",
            MenuItem::TogglePresenter => "Presenter mode on/off",
            MenuItem::ResetLesson => "Reset the lab: delete what this lesson made",
            MenuItem::ResetStep => "Reset this step (and the ones after it)",
            MenuItem::RevealToken => "Show this step's token in full",
            MenuItem::RevealSolution => "Reveal the solution into the editor",
            MenuItem::RunAction => "Run this step's action",
            MenuItem::ResetEditor => "Put the step's template back in the editor",
            MenuItem::Help => "Keys",
            MenuItem::Quit => "Quit",
        }
    }

    /// The step shown has something for this item to do: the menu offers
    /// no token on a step without one, no solution where there is none.
    pub fn applies(self, step: &crate::lesson::Step) -> bool {
        use crate::lesson::model::Action;
        match self {
            MenuItem::RevealSolution => step.solution.is_some(),
            MenuItem::SolveStep => step.solution.is_some() || !step.actions.is_empty(),
            MenuItem::RunAction => !step.actions.is_empty(),
            MenuItem::RevealToken => step.actions.iter().any(|a| matches!(a, Action::Token(_))),
            MenuItem::ResetEditor => step.template.is_some(),
            _ => true,
        }
    }

    /// The items offered on the step shown, in menu order.
    pub fn offered(app: &App) -> Vec<MenuItem> {
        MenuItem::ALL
            .into_iter()
            .filter(|item| item.applies(app.step()))
            .collect()
    }

    /// The name a room reads in the presenter's key strip.
    pub fn short_label(self) -> &'static str {
        match self {
            MenuItem::ChooseLesson => "Choose a lesson",
            MenuItem::SolveStep => "Solve this step",
            MenuItem::TogglePresenter => "Presenter mode",
            MenuItem::ResetLesson => "Reset the lab",
            MenuItem::ResetStep => "Reset this step",
            MenuItem::RevealToken => "Show the token",
            MenuItem::RevealSolution => "Reveal the solution",
            MenuItem::RunAction => "Run the action",
            MenuItem::ResetEditor => "Template back",
            MenuItem::Help => "Keys",
            MenuItem::Quit => "Quit",
        }
    }
}

/// Opens the menu on its first item.
pub fn open(app: &mut App) -> Vec<Effect> {
    app.overlays.open(Overlay::Menu(0));
    Vec::new()
}

/// A key while the menu is on top, `selected` highlighted.
pub fn on_key(app: &mut App, key: KeyEvent, selected: usize) -> Vec<Effect> {
    let offered = MenuItem::offered(app);
    let items = offered.len();
    match key.code {
        KeyCode::Esc | KeyCode::F(10) => {
            app.overlays.close();
            shown_keys::chosen(app, None);
        }
        KeyCode::Down | KeyCode::Char('j') => {
            app.overlays
                .replace_top(Overlay::Menu((selected + 1) % items));
        }
        KeyCode::Up | KeyCode::Char('k') => {
            app.overlays
                .replace_top(Overlay::Menu((selected + items - 1) % items));
        }
        KeyCode::Enter => {
            app.overlays.close();
            let item = offered[selected.min(items - 1)];
            shown_keys::chosen(app, Some(item.short_label()));
            return choose(app, item);
        }
        _ => {}
    }
    Vec::new()
}

fn choose(app: &mut App, item: MenuItem) -> Vec<Effect> {
    match item {
        MenuItem::RevealToken if app.presenter => {
            app.notice = Some("Tokens stay masked in presenter mode.".into());
            Vec::new()
        }
        MenuItem::ResetLesson => reset::plan(app, 0),
        MenuItem::ResetStep => reset::plan(app, app.current),
        MenuItem::TogglePresenter => nav::toggle_presenter(app),
        MenuItem::SolveStep => actions::solve(app),
        MenuItem::RevealToken => actions::reveal_token(app),
        MenuItem::ChooseLesson => picker::open(app),
        MenuItem::RevealSolution => editor::reveal_solution(app),
        MenuItem::ResetEditor => editor::template_back(app),
        MenuItem::RunAction => actions::run(app),
        MenuItem::Help => {
            app.help_scroll = 0;
            app.overlays.open(Overlay::Help);
            Vec::new()
        }
        MenuItem::Quit => quit::asking(app),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::press;

    #[test]
    fn the_menu_offers_only_what_the_step_has() {
        let mut app = crate::app::first_lesson_app();
        // Step 1 reads and asks: nothing to solve, run or reveal.
        let offered = MenuItem::offered(&app);
        for absent in [
            MenuItem::RevealSolution,
            MenuItem::SolveStep,
            MenuItem::RunAction,
            MenuItem::RevealToken,
            MenuItem::ResetEditor,
        ] {
            assert!(!offered.contains(&absent), "{absent:?} on step 1");
        }
        // Step 3 makes a token; step 7 has YAML to solve, and no token.
        app.current = 2;
        let offered = MenuItem::offered(&app);
        assert!(offered.contains(&MenuItem::RevealToken) && offered.contains(&MenuItem::RunAction));
        app.current = 6;
        let offered = MenuItem::offered(&app);
        assert!(
            offered.contains(&MenuItem::RevealSolution) && offered.contains(&MenuItem::ResetEditor)
        );
        assert!(!offered.contains(&MenuItem::RevealToken));
        // Enter on the first item of step 1's menu chooses what is drawn there.
        app.current = 0;
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Enter);
        assert_eq!(
            app.last_keys.back().map(String::as_str),
            Some("menu: Presenter mode")
        );
    }

    #[test]
    fn the_menu_picks_another_lesson() {
        let mut app = crate::app::first_lesson_app();
        app.lessons = vec![
            ("other".into(), "Another lesson".into()),
            (
                "serviceaccount-rbac".into(),
                "ServiceAccounts and RBAC".into(),
            ),
        ];
        press(&mut app, KeyCode::Esc);
        let at = MenuItem::offered(&app)
            .iter()
            .position(|m| *m == MenuItem::ChooseLesson)
            .unwrap();
        for _ in 0..at {
            press(&mut app, KeyCode::Down);
        }
        press(&mut app, KeyCode::Enter);
        assert_eq!(
            app.overlays.top(),
            Some(&Overlay::Picker(1)),
            "the picker opens on the current lesson"
        );
        press(&mut app, KeyCode::Up);
        let effects = press(&mut app, KeyCode::Enter);
        assert!(
            matches!(effects.as_slice(), [Effect::Save, Effect::SwitchLesson(id)] if id == "other"),
            "{effects:?}"
        );
    }
}
