//! A chain: an ordered list of stages, run on a candidate set one after the other.

use crate::{
    Candidates, Context, Distribution, Error, Logits, Sample, SamplingParams, Stage, Workspace,
};
use alloc::{boxed::Box, vec::Vec};

/// An ordered list of [`Stage`]s. Each sees the candidates left by the one before, renormalized.
///
/// Any order is allowed. [`Chain::from_params`] builds the Hugging Face / vLLM order
/// (temperature, top-k, top-p, min-p); llama.cpp applies temperature last:
///
/// ```
/// use logits::{Chain, Context, MinP, Temperature, TopK, TopP, Workspace};
/// let llama_cpp_order = Chain::new()
///     .then(TopK::new(40))
///     .then(TopP::new(0.95)?)
///     .then(MinP::new(0.05)?)
///     .then(Temperature::new(0.8)?);
/// let names: Vec<&str> = llama_cpp_order.stages().iter().map(|s| s.name()).collect();
/// assert_eq!(names, ["top_k", "top_p", "min_p", "temperature"]);
/// let mut workspace = Workspace::new();
/// let d = llama_cpp_order.distribution(&[1.0, 3.0, 2.5, -4.0], &mut workspace, &Context::default())?;
/// assert_eq!(d.ids().collect::<Vec<_>>(), vec![0, 1, 2]);
/// # Ok::<(), logits::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Chain {
    stages: Vec<Box<dyn Stage>>,
}

impl Chain {
    /// An empty chain: every unmasked token at temperature 1.
    ///
    /// ```
    /// assert!(logits::Chain::new().stages().is_empty());
    /// ```
    pub fn new() -> Self {
        Chain::default()
    }

    /// The chain with `stage` appended.
    ///
    /// ```
    /// let c = logits::Chain::new().then(logits::TopK::new(5));
    /// assert_eq!(c.stages().len(), 1);
    /// ```
    pub fn then(mut self, stage: impl Stage + 'static) -> Self {
        self.stages.push(Box::new(stage));
        self
    }

    /// Appends a boxed stage.
    ///
    /// ```
    /// let mut c = logits::Chain::new();
    /// c.push(Box::new(logits::TopK::new(5)));
    /// assert_eq!(c.stages()[0].name(), "top_k");
    /// ```
    pub fn push(&mut self, stage: Box<dyn Stage>) {
        self.stages.push(stage);
    }

    /// The stages, in order.
    ///
    /// ```
    /// assert!(logits::Chain::new().stages().is_empty());
    /// ```
    pub fn stages(&self) -> &[Box<dyn Stage>] {
        &self.stages
    }

    /// The chain that `params` describe ([`Preset::Standard`](crate::Preset::Standard)):
    /// logit bias, penalties, DRY, top-n-sigma, temperature, then top-h, top-k, top-p, min-p,
    /// typical, epsilon and eta (the Hugging Face order), XTC and mirostat, each left out when
    /// its parameter disables it.
    ///
    /// Errors: [`Error::InvalidTemperature`], [`Error::InvalidTopP`], [`Error::InvalidMinP`],
    /// [`Error::InvalidParameter`].
    ///
    /// ```
    /// use logits::{Chain, SamplingParams};
    /// let c = Chain::from_params(&SamplingParams::default().temperature(0.7).top_p(0.9))?;
    /// let names: Vec<&str> = c.stages().iter().map(|s| s.name()).collect();
    /// assert_eq!(names, ["temperature", "top_p"]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn from_params(params: &SamplingParams) -> Result<Chain, Error> {
        crate::Preset::Standard.chain(params)
    }

    /// Runs every stage on `candidates`, stage `i` with `context.at_stage(i)`.
    ///
    /// ```
    /// use logits::{Candidates, Chain, Context, TopK, Workspace};
    /// let mut workspace = Workspace::new();
    /// let mut c = Candidates::new(&[0.0, 2.0, 1.0], &mut workspace)?;
    /// Chain::new().then(TopK::new(1)).apply(&mut c, &Context::default());
    /// assert_eq!(c.ids().collect::<Vec<_>>(), vec![1]);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn apply(&self, candidates: &mut Candidates<'_>, context: &Context) {
        for (i, stage) in self.stages.iter().enumerate() {
            stage.apply(candidates, &context.at_stage(i as u32));
        }
    }

    /// The final distribution of the chain over `logits`.
    ///
    /// Errors: the [input contract](crate#input-contract), and what
    /// [`Candidates::into_distribution`] reports.
    ///
    /// ```
    /// use logits::{Chain, Context, Temperature, Workspace};
    /// let mut workspace = Workspace::new();
    /// let greedy = Chain::new().then(Temperature::new(0.0)?);
    /// let d = greedy.distribution(&[0.0, 5.0], &mut workspace, &Context::default())?;
    /// assert_eq!(d.draw(123).token, 1);
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn distribution<'a>(
        &self,
        logits: impl Into<Logits<'a>>,
        workspace: &'a mut Workspace,
        context: &Context,
    ) -> Result<Distribution<'a>, Error> {
        let mut c = Candidates::new(logits, workspace)?;
        self.apply(&mut c, context);
        c.into_distribution()
    }

    /// Tells every stage the draw made from the chain's distribution at this step (the token
    /// and its probability there), before [`accept`](Chain::accept): what adaptive stages such
    /// as mirostat learn from. [`Sampler`](crate::Sampler) calls it after each draw.
    ///
    /// ```
    /// use logits::{Chain, MirostatV2, Sample};
    /// let mut c = Chain::new().then(MirostatV2::new(5.0, 0.1)?);
    /// c.observe(&Sample::new(3, 0.25));
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn observe(&mut self, sample: &Sample) {
        for stage in &mut self.stages {
            stage.observe(sample);
        }
    }

    /// Tells every stage the token chosen at this step.
    ///
    /// ```
    /// let mut c = logits::Chain::new().then(logits::TopK::new(5));
    /// c.accept(3); // stateless stages ignore it
    /// ```
    pub fn accept(&mut self, token: u32) {
        for stage in &mut self.stages {
            stage.accept(token);
        }
    }

    /// Grows every stage's state for a sequence of `tokens` accepted tokens
    /// ([`Stage::reserve`]).
    ///
    /// ```
    /// use logits::{Chain, Penalties, Window};
    /// let mut c = Chain::new().then(Penalties::new(1.1, 0.0, 0.0, Window::All)?);
    /// c.reserve(4096); // 4096 tokens accepted without allocating
    /// # Ok::<(), logits::Error>(())
    /// ```
    pub fn reserve(&mut self, tokens: usize) {
        for stage in &mut self.stages {
            stage.reserve(tokens);
        }
    }

    /// Resets every stage's state, for a new sequence.
    ///
    /// ```
    /// let mut c = logits::Chain::new().then(logits::TopK::new(5));
    /// c.reset();
    /// ```
    pub fn reset(&mut self) {
        for stage in &mut self.stages {
            stage.reset();
        }
    }
}
